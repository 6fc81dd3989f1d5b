using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>
/// Steady-state comparison robust to a busy machine: rounds of <c>images</c> files, pipeline and bare ORT in
/// ABBA order (so warm caches, spinning ORT threads and background load fall on both sides alike), medians reported.
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

        Bare();
        Pipeline();
        var tBare = new List<double>();
        var tPipe = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            double b1 = Bare(), p1 = Pipeline(), p2 = Pipeline(), b2 = Bare();
            tBare.Add((b1 + b2) / 2);
            tPipe.Add((p1 + p2) / 2);
            ratios.Add((p1 + p2) / (b1 + b2));
        }
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine($"{width}x{height}, {rounds} ABBA rounds of {paths.Count} images, median per image: bare ORT {Median(tBare):F1} ms, " +
            $"SegmentFcn pipeline {Median(tPipe):F1} ms, median ratio {Median(ratios):F3} (min {ratios.Min():F3}, max {ratios.Max():F3})");
        return 0;
    }
}

/// <summary>The model every benchmark scores: ResNet18-shaped FCN-32s, 21 classes, ImageNet preprocessing.</summary>
internal static class BenchmarkModel
{
    public static SegmentFcnOptions Options(int classes = 21) =>
        new() { ModelBytes = ResNet18Fcn32s.Build(classes).ToByteArray(), Preprocessing = ImagePreprocessing.ImageNet };
}
