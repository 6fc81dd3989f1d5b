using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>Per-image wall time after warm-up, pipeline and bare ORT interleaved (a quick check beside BenchmarkDotNet).</summary>
internal static class SteadyTiming
{
    public static int Run(int width, int height, int runs)
    {
        var path = BenchmarkImages.Write(Path.Combine(Path.GetTempPath(), "fcn-bench"), 1, width, height)[0];
        var fcn = ResNet18Fcn32s.Build().ToByteArray();
        var options = new SegmentFcnOptions { ModelBytes = fcn, Preprocessing = ImagePreprocessing.ImageNet };
        var ml = new MLContext();
        using var pipeline = SegmentationScoring.BuildFilePipeline(ml, options);
        using var bare = new BareOrtScorer(ml.Transforms.SegmentFcn(options).WrappedModel.ToArray());
        bare.Score(path);
        SegmentationScoring.Score(ml, pipeline, new[] { path }).Single();
        var tBare = new List<double>();
        var tPipe = new List<double>();
        for (int i = 0; i < runs; i++)
        {
            var c = Stopwatch.StartNew();
            bare.Score(path);
            tBare.Add(c.Elapsed.TotalMilliseconds);
            c.Restart();
            SegmentationScoring.Score(ml, pipeline, new[] { path }).Single();
            tPipe.Add(c.Elapsed.TotalMilliseconds);
        }
        double mb = tBare.Order().ElementAt(runs / 2), mp = tPipe.Order().ElementAt(runs / 2);
        Console.WriteLine($"{width}x{height}, {runs} runs, median: bare ORT {mb:F1} ms, SegmentFcn pipeline {mp:F1} ms, ratio {mp / mb:F3}");
        return 0;
    }
}
