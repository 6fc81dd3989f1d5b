// A consumer of the Fcn.MLNet and Fcn.MLNet.Training packages, built outside the repository by ConsumerPackageTests
// (this folder is not compiled into the tests). Public API only: SegmentFcn on an image, Evaluate, a 2-iteration
// fine-tune from the packaged ResNet18 backbone, and save → load of the fitted pipeline in a fresh MLContext.
//   dotnet run -- <empty folder>
using Fcn.MLNet;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

string dir = Path.GetFullPath(args[0]);
const int Width = 48, Height = 40, Classes = 2;

// Generated data: a dark left half (class 0) and a bright right half (class 1), with a little noise.
var random = new Random(7);
var rows = new List<ImageMaskRow>();
for (int n = 0; n < 3; n++)
{
    var rgb = new byte[Width * Height * 3];
    var labels = new int[Width * Height];
    for (int i = 0; i < Width * Height; i++)
    {
        labels[i] = i % Width < Width / 2 ? 0 : 1;
        for (int c = 0; c < 3; c++) rgb[3 * i + c] = (byte)(labels[i] * 180 + random.Next(40));
    }
    string image = Path.Combine(dir, $"image{n}.png"), mask = Path.Combine(dir, $"mask{n}.png");
    using (var f = File.Create(image)) PngEncoder.WriteRgb8(f, Width, Height, rgb);
    MaskWriter.WriteIndexPng(mask, new LabelMap(Width, Height, labels));
    rows.Add(new ImageMaskRow { ImagePath = image, Label = mask });
}

var ml = new MLContext(seed: 0);
var data = ml.Data.LoadFromEnumerable(rows);
var loadImages = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath");

// 1. Fine-tune FCN-32s on the ResNet18 backbone for two iterations.
var trainer = ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
{
    Backbone = "resnet18", Architecture = FcnArchitecture.Fcn32s, NumberOfClasses = Classes, Iterations = 2, BatchSize = 1,
});
var model = loadImages.Append(trainer).Fit(data);
Console.WriteLine($"fine-tuned: {trainer.History!.Losses.Count} iterations, last loss {trainer.History.Losses[^1].Loss:F4}");

// 2. SegmentFcn on an image, from the trained ONNX file.
string onnx = Path.Combine(dir, "fcn32s.onnx");
File.WriteAllBytes(onnx, trainer.TrainedModel!);
var segment = loadImages.Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelPath = onnx }));
var oneImage = ml.Data.LoadFromEnumerable(rows.Take(1));
var map = segment.Fit(oneImage).Transform(oneImage).GetColumn<int[]>("Segmentation").Single();
if (map.Length != Width * Height || map.Any(l => l is < 0 or >= Classes)) throw new Exception($"SegmentFcn: a map of {map.Length} labels");
Console.WriteLine($"SegmentFcn: {Width}x{Height} class map, classes {string.Join(",", map.Distinct().Order())}");

// 3. Evaluate: the paper's metrics.
var metrics = ml.SemanticSegmentation().Evaluate(model.Transform(data), Classes, labelColumnName: "Label");
Console.WriteLine($"Evaluate: pixel accuracy {metrics.PixelAccuracy:F4}, mean IU {metrics.MeanIU:F4}");

// 4. Save → load in a fresh MLContext; the loaded pipeline gives the same maps.
string zip = Path.Combine(dir, "fcn32s.zip");
ml.Model.Save(model, data.Schema, zip);
var fresh = new MLContext();
var loaded = fresh.Model.Load(zip, out _);
var paths = rows.Select(r => r.ImagePath).ToList();
var before = SegmentationScoring.Score(ml, model, paths).Select(r => r.ClassMap.Labels).ToList();
var after = SegmentationScoring.Score(fresh, loaded, paths).Select(r => r.ClassMap.Labels).ToList();
if (!before.Zip(after).All(p => p.First.SequenceEqual(p.Second))) throw new Exception("the loaded model scores differently");
Console.WriteLine($"save -> load: {paths.Count}/{paths.Count} maps identical");
Console.WriteLine("consumer: OK");
