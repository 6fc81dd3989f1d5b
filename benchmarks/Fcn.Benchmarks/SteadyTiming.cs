using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>
/// Steady-state comparison robust to a busy machine: rounds of <c>images</c> files, pipeline and bare ORT in
/// ABBA order (<see cref="AbbaRounds"/>), medians reported.
/// </summary>
internal static class SteadyTiming
{
    public static int Run(int width, int height, int rounds, int images = 4)
    {
        var paths = BenchmarkImages.Write(Path.Combine(Path.GetTempPath(), "fcn-bench"), images, width, height);
        var options = BenchmarkModel.Options();
        var ml = new MLContext();
        using var pipeline = SegmentationScoring.BuildFilePipeline(ml, options);
        using var bare = new BareOrtScorer(ml.Transforms.SegmentFcn(options).WrappedModel.ToArray());

        double Bare()
        {
            var c = Stopwatch.StartNew();
            foreach (var p in paths) bare.Score(p);
            return c.Elapsed.TotalMilliseconds / paths.Count;
        }
        double Pipeline()
        {
            var c = Stopwatch.StartNew();
            foreach (var _ in SegmentationScoring.Score(ml, pipeline, paths)) { }
            return c.Elapsed.TotalMilliseconds / paths.Count;
        }

        var r = AbbaRounds.Run(Bare, Pipeline, rounds);
        Console.WriteLine($"{width}x{height}, {rounds} ABBA rounds of {paths.Count} images, median per image: bare ORT {r.MedianA:F1} ms, " +
            $"SegmentFcn pipeline {r.MedianB:F1} ms, {r.RatioText}");
        return 0;
    }
}

/// <summary>The model every benchmark scores: ResNet18-shaped FCN-32s, 21 classes, ImageNet preprocessing.</summary>
internal static class BenchmarkModel
{
    public static SegmentFcnOptions Options(int classes = 21) =>
        new() { ModelBytes = ResNet18Fcn32s.Build(classes).ToByteArray(), Preprocessing = ImagePreprocessing.ImageNet };
}
