// QuickStart: fine-tune FCN-8s from the ImageNet ResNet18 shipped by NuGet on a seeded synthetic dataset,
// evaluate it, save it as an ML.NET model zip, reload it in a fresh context and batch-score. No downloads.
//   dotnet run --project samples/QuickStart -c Release [-- <output folder>]
using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.MLNet;
using Fcn.MLNet.Training.Optimization;
using Microsoft.ML;

string output = Path.GetFullPath(args.Length > 0 ? args[0] : Path.Combine("out", "quickstart"));
string imagesDir = Path.Combine(output, "data", "images"), masksDir = Path.Combine(output, "data", "masks");
var clock = Stopwatch.StartNew();
void Say(string message) => Console.WriteLine($"[{clock.Elapsed:mm\\:ss}] {message}");

// 1. A seeded dataset: 40 training images, 20 held out; masks are index PNGs.
const int TrainCount = 40, HeldOutCount = 20, Classes = 4;
const double TargetMeanIU = 0.8;
var train = SyntheticShapes.Write(imagesDir, masksDir, 0, TrainCount).Select(p => new ImageMaskRow { ImagePath = p.Image, Label = p.Mask }).ToList();
var heldOut = SyntheticShapes.Write(imagesDir, masksDir, TrainCount, HeldOutCount).Select(p => new ImageMaskRow { ImagePath = p.Image, Label = p.Mask }).ToList();
Say($"wrote {TrainCount} training and {HeldOutCount} held-out images with masks to {Path.Combine(output, "data")}");

// 2. Fine-tune FCN-8s end to end: LoadImages → Trainers.Fcn, validated on the held-out images after every epoch.
var ml = new MLContext(seed: 0);
ml.Log += (_, e) => { if (e.Source.Contains("FcnTrainer") && e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Info) Say(e.Message); };
var loadImages = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath");
var trainData = ml.Data.LoadFromEnumerable(train);
var heldOutData = ml.Data.LoadFromEnumerable(heldOut);
var trainer = ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
{
    Backbone = "resnet18",
    Architecture = FcnArchitecture.Fcn8s,
    NumberOfClasses = Classes,
    ClassNames = SyntheticShapes.ClassNames,
    Epochs = 10,
    LearningRate = 2e-4,
    Schedule = LearningRateSchedule.Poly(maxIterations: 10 * TrainCount),
    CropSize = (160, 160),
    ValidationData = loadImages.Fit(heldOutData).Transform(heldOutData),
    CheckpointFolder = Path.Combine(output, "checkpoints"),
    OverwriteCheckpoint = true, // each run of the quick start trains afresh
    Progress = new Progress<FcnTrainingProgress>(p =>
    {
        if (!p.EndOfEpoch && p.Iteration % 40 == 0) Say($"{p.Stage} epoch {p.Epoch} iteration {p.Iteration}: loss {p.Loss:F3}");
    }),
});
var model = loadImages.Append(trainer).Fit(trainData);

// 3. The paper's metrics on the held-out images, and the report (index.html: metrics, per-class table and chart,
//    confusion heatmap, worst and best images; metrics.json) — what `fcn evaluate --report` writes.
string report = Path.Combine(output, "report");
var metrics = ml.SemanticSegmentation().EvaluateWithReport(model.Transform(heldOutData), Classes,
    new SegmentationReportOptions { Folder = report, Title = "QuickStart: FCN-8s on held-out synthetic shapes" },
    labelColumnName: "Label", classNames: SyntheticShapes.ClassNames);
Say($"held-out metrics ({HeldOutCount} images):\n{metrics}");
Say($"report: {Path.Combine(report, SegmentationReport.HtmlFileName)}");

// 4. Save the pipeline as a zip, load it in a fresh context, batch-score, and check the maps are identical.
string zip = Path.Combine(output, "fcn8s-shapes.zip");
AtomicFile.Write(zip, s => ml.Model.Save(model, trainData.Schema, s));
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
    MaskWriter.WriteOverlay(Path.Combine(predictions, stem + ".overlay.png"), w, h, rgb, result.ClassMap, palette, ignoreLabel: 0);
}
Say($"reloaded {Path.GetFileName(zip)} in a fresh MLContext: {identical}/{paths.Count} class maps identical");
File.WriteAllText(Path.Combine(output, "metrics.json"), metrics.ToJson());
File.Copy(Path.Combine(output, "checkpoints", "training-curves.png"), Path.Combine(output, "training-curves.png"), overwrite: true);

// Dispose models with ModelLifetime.Release: it also deletes the temporary model files ML.NET keeps.
ModelLifetime.Release(model);
ModelLifetime.Release(loaded);

bool met = metrics.MeanIU >= TargetMeanIU;
Console.WriteLine($"mean IU {metrics.MeanIU:F3} (target ≥ {TargetMeanIU}: {(met ? "met" : "NOT met")}) in {clock.Elapsed:mm\\:ss}");
Console.WriteLine($"outputs: {output}\n  fcn8s-shapes.zip, metrics.json, training-curves.png, report/index.html, checkpoints/, predictions/*.png|.color.png|.overlay.png");
return identical == paths.Count && met ? 0 : 1;

