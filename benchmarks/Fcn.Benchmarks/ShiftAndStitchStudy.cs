using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.MLNet;
using Fcn.MLNet.Training.Optimization;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>
/// Paper 3.2 vs 3.3 on the synthetic shapes: one FCN-32s fine-tuned from ResNet18, scored (a) with its in-network
/// upsampling (bilinear ConvTranspose ×32), (b) from its stride-32 scores resized bilinearly, and (c) from the same
/// scores with shift-and-stitch (f = 2, 4: f² passes, stride 32/f) — held-out mean IU and time per image.
/// </summary>
internal static class ShiftAndStitchStudy
{

    public static int Run(string folder)
    {
        string images = Path.Combine(folder, "images"), masks = Path.Combine(folder, "masks");
        var train = SyntheticShapes.Write(images, masks, 0, 40);
        var heldOut = SyntheticShapes.Write(images, masks, 40, 20);
        var ml = new MLContext(seed: 0);
        var trainData = ml.Data.LoadFromEnumerable(train.Select(p => new ImageMaskRow { ImagePath = p.Image, Label = p.Mask }));
        var trainer = ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
        {
            Architecture = FcnArchitecture.Fcn32s, NumberOfClasses = 4, Epochs = 8, LearningRate = 2e-4,
            Schedule = LearningRateSchedule.Poly(8 * 40), CropSize = (160, 160),
        });
        var clock = Stopwatch.StartNew();
        ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(trainData);
        Console.WriteLine($"FCN-32s fine-tuned in {clock.Elapsed.TotalSeconds:F0} s");
        var fcn32 = OnnxModelFile.Parse(trainer.TrainedModel!);
        var coarse = FcnHeads.CoarseScores(fcn32).ToByteArray();

        var variants = new (string Name, byte[] Model, (int, int)? ShiftAndStitch)[]
        {
            ("FCN-32s, in-network upsampling (bilinear ConvTranspose ×32)", fcn32.ToByteArray(), null),
            ("score_fr (stride 32) + bilinear resize", coarse, null),
            ("score_fr + shift-and-stitch f = 2 (stride 16) + bilinear", coarse, (32, 2)),
            ("score_fr + shift-and-stitch f = 4 (stride 8) + bilinear", coarse, (32, 4)),
        };
        Console.WriteLine("| scoring | mean IU | pixel acc | ms / image |");
        Console.WriteLine("|---|---|---|---|");
        var paths = heldOut.Select(p => p.Image).ToList();
        foreach (var (name, model, sas) in variants)
        {
            using var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = model, ShiftAndStitch = sas });
            SegmentationScoring.Score(ml, pipeline, paths.Take(1)).ToList(); // warm-up
            var matrix = new SegmentationConfusionMatrix(4);
            var timer = Stopwatch.StartNew();
            var results = SegmentationScoring.Score(ml, pipeline, paths).ToList();
            double ms = timer.Elapsed.TotalMilliseconds / paths.Count;
            foreach (var (result, pair) in results.Zip(heldOut))
                matrix.Add(MaskReader.Read(pair.Mask).Labels, result.ClassMap.Labels, 255, pair.Mask);
            var m = matrix.ToMetrics();
            Console.WriteLine(FormattableString.Invariant($"| {name} | {m.MeanIU:F3} | {m.PixelAccuracy:F3} | {ms:F0} |"));
        }
        return 0;
    }
}
