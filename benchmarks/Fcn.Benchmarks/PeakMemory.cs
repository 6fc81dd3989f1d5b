using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>Peak resident memory (VmHWM) of this process after scoring one large image; run once per process.</summary>
internal static class PeakMemory
{
    public static int Run(string mode, int width, int height, int classes = 21, int? tile = null)
    {
        var path = BenchmarkImages.Write(Path.Combine(Path.GetTempPath(), "fcn-bench"), 1, width, height)[0];
        var options = BenchmarkModel.Options(classes);
        if (tile is int t) options.Tiling = new TiledScoring { TileSize = t, Overlap = t / 4 };
        long before = HighWaterMarkKb();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        int pixels;
        double load;
        if (mode.StartsWith("ort", StringComparison.Ordinal))
        {
            var ml = new MLContext();
            // "ort", or "ort-arena-off" / "ort-arena-exact" (see BareOrtScorer).
            string arena = mode.StartsWith("ort-arena-", StringComparison.Ordinal) ? mode["ort-arena-".Length..] : "default";
            using var bare = new BareOrtScorer(ml.Transforms.SegmentFcn(options).WrappedModel.ToArray(), arena);
            load = clock.Elapsed.TotalSeconds;
            pixels = bare.Score(path).Length;
        }
        else
        {
            var ml = new MLContext();
            using var pipeline = SegmentationScoring.BuildFilePipeline(ml, options);
            load = clock.Elapsed.TotalSeconds;
            pixels = SegmentationScoring.Score(ml, pipeline, new[] { path }).Single().ClassMap.Labels.Length;
        }
        Console.WriteLine($"{mode}: {width}x{height}, {classes} classes{(tile is int ts ? $", tiles {ts}" : "")}, {pixels} pixels; model load {load:F1} s, first image {clock.Elapsed.TotalSeconds - load:F1} s; " +
            $"peak RSS {HighWaterMarkKb() / 1024} MiB (before scoring: {before / 1024} MiB)");
        return 0;
    }

    private static long HighWaterMarkKb()
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
    }
}
