using System.Diagnostics;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>
/// Float vs int8 SegmentFcn pipelines on the same image files, in ABBA rounds (so warm caches and background load fall
/// on both alike): median time per image, the ratio, and how many pixels the two class maps agree on.
/// </summary>
internal static class Int8Timing
{
    public static int Run(string floatModel, string int8Model, string imageFolder, int rounds)
    {
        var paths = Directory.GetFiles(imageFolder, "*.png").Order(StringComparer.Ordinal).ToList();
        if (paths.Count == 0) throw new ArgumentException($"{imageFolder}: no .png images");
        var ml = new MLContext();
        using var fp32 = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = floatModel });
        using var int8 = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = int8Model });
        int[][] Maps(ITransformer model) => SegmentationScoring.Score(ml, model, paths).Select(s => s.ClassMap.Labels.ToArray()).ToArray();
        double Time(ITransformer model)
        {
            var clock = Stopwatch.StartNew();
            foreach (var _ in SegmentationScoring.Score(ml, model, paths)) { }
            return clock.Elapsed.TotalMilliseconds / paths.Count;
        }

        var a = Maps(fp32);
        var b = Maps(int8);
        long same = a.Zip(b).Sum(p => p.First.Zip(p.Second).LongCount(q => q.First == q.Second)), all = a.Sum(m => (long)m.Length);
        var r = AbbaRounds.Run(() => Time(fp32), () => Time(int8), rounds);
        Console.WriteLine($"{paths.Count} images of {imageFolder}, {rounds} ABBA rounds, median per image: fp32 {r.MedianA:F1} ms, int8 {r.MedianB:F1} ms, " +
            $"{r.RatioText}; class maps agree on {100.0 * same / all:F2}% of {all} pixels");
        return 0;
    }
}
