// QuickStart: the whole Fcn.MLNet inference workflow on a seeded synthetic dataset, no downloads.
//   dotnet run --project samples/QuickStart [-- <output folder>]
using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Microsoft.ML;
using QuickStart;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("out", "quickstart"));
string imagesDir = Path.Combine(output, "data", "images"), masksDir = Path.Combine(output, "data", "masks");
var clock = Stopwatch.StartNew();

// 1. A seeded dataset: 40 images to fit, 20 held out; masks are index PNGs.
const int Fit = 40, HeldOut = 20, Classes = 4;
var fitImages = new List<(byte[] Rgb, int[] Labels)>();
var heldOut = new List<EvaluationRow>();
for (int i = 0; i < Fit + HeldOut; i++)
{
    var (w, h, rgb, mask) = SyntheticShapes.Generate(seed: 1000 + i);
    string image = Path.Combine(imagesDir, $"shapes{i:D3}.png"), maskPath = Path.Combine(masksDir, $"shapes{i:D3}.png");
    AtomicFile.Write(image, s => PngEncoder.WriteRgb8(s, w, h, rgb));
    MaskWriter.WriteIndexPng(maskPath, mask);
    if (i < Fit) fitImages.Add((rgb, mask.Labels));
    else heldOut.Add(new EvaluationRow { ImagePath = image, Label = maskPath });
}
Console.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}s] wrote {Fit + HeldOut} images and masks to {Path.Combine(output, "data")}");

// 2. A tiny FCN fitted in closed form (nearest class mean, stride 4), saved as ONNX.
var means = NearestMeanFcn.ClassMeans(fitImages, Classes);
string onnx = Path.Combine(output, "nearest-mean-fcn.onnx");
OnnxModelFile.Save(NearestMeanFcn.Build(means, SyntheticShapes.ClassNames), onnx);

// 3. The ML.NET pipeline: LoadImages → SegmentFcn, evaluated with the paper's metrics on the held-out images.
var ml = new MLContext(seed: 0);
var heldOutData = ml.Data.LoadFromEnumerable(heldOut);
var pipeline = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath")
    .Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions
    {
        ModelPath = onnx,
        Preprocessing = new ImagePreprocessing { Scale = 1f / 255f },
        ColorizedColumnName = "ColorMask",
    }));
var model = pipeline.Fit(heldOutData);
var metrics = ml.SemanticSegmentation().Evaluate(model.Transform(heldOutData), Classes, labelColumnName: "Label",
    classNames: SyntheticShapes.ClassNames);
Console.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}s] held-out metrics ({HeldOut} images):\n{metrics}");

// 4. Save the pipeline as a zip, load it in a fresh context, batch-score, and check the maps are identical.
string zip = Path.Combine(output, "model.zip");
AtomicFile.Write(zip, s => ml.Model.Save(model, heldOutData.Schema, s));
var fresh = new MLContext(seed: 1);
var loaded = fresh.Model.Load(zip, out _);
var paths = heldOut.Select(r => r.ImagePath).ToList();
var original = SegmentationScoring.Score(ml, model, paths).ToList();
string predictions = Path.Combine(output, "predictions");
var palette = ColorPalette.PascalVoc();
int index = 0, identical = 0;
foreach (var result in SegmentationScoring.Score(fresh, loaded, paths))
{
    if (result.ClassMap.Labels.SequenceEqual(original[index++].ClassMap.Labels)) identical++;
    string stem = Path.GetFileNameWithoutExtension(result.ImagePath);
    MaskWriter.WriteIndexPng(Path.Combine(predictions, stem + ".png"), result.ClassMap);
    MaskWriter.WriteColorPng(Path.Combine(predictions, stem + ".color.png"), result.ClassMap, palette);
    var (w, h, rgb) = SegmentationScoring.ReadRgb(result.ImagePath);
    MaskWriter.WriteOverlay(Path.Combine(predictions, stem + ".overlay.png"), w, h, rgb, result.ClassMap, palette);
}
Console.WriteLine($"[{clock.Elapsed.TotalSeconds:F1}s] reloaded {Path.GetFileName(zip)} in a fresh MLContext: {identical}/{paths.Count} class maps identical");
File.WriteAllText(Path.Combine(output, "metrics.json"), metrics.ToJson());
Console.WriteLine($"outputs: {output}\n  model.zip, nearest-mean-fcn.onnx, metrics.json, predictions/*.png|.color.png|.overlay.png");
return identical == paths.Count ? 0 : 1;

internal sealed class EvaluationRow
{
    public string ImagePath { get; set; } = "";
    public string Label { get; set; } = "";
}
