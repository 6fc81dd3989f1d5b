using System.Diagnostics;
using System.Text.Json;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Microsoft.ML;
using Microsoft.ML.OnnxRuntime;

namespace Fcn.Benchmarks;

/// <summary>
/// Where the time of one SegmentFcn image goes: the wrapped graph run under ONNX Runtime's profiler (kernel time summed
/// by operator type, and the slowest nodes), beside the whole pipeline's time and the bare session's time on the same
/// file. For finding what to shorten; not a benchmark of record.
/// </summary>
internal static class OperatorProfile
{
    public static int Run(string model, string image, int runs)
    {
        var ml = new MLContext();
        byte[] wrapped = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelPath = model }).WrappedModel.ToArray();
        string prefix = Path.Combine(Path.GetTempPath(), $"fcn-profile-{Environment.ProcessId}");
        var options = new SessionOptions { ProfileOutputPathPrefix = prefix, EnableProfiling = true };
        if (Environment.GetEnvironmentVariable("FCN_PROFILE_OPTIMIZED_MODEL") is { Length: > 0 } optimized)
            options.OptimizedModelFilePath = optimized; // the graph after ONNX Runtime's fusions and layout changes
        string file;
        using (var bare = new BareOrtScorer(wrapped, options))
        {
            for (int i = 0; i < runs; i++) bare.Score(image);
            file = bare.EndProfiling();
        }
        var perOp = new Dictionary<string, double>();
        var perNode = new Dictionary<string, (string Op, double Us)>();
        double total = 0;
        using (var json = JsonDocument.Parse(File.ReadAllText(file)))
        {
            foreach (var e in json.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() != "Node" || !e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal)) continue;
                string op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                string node = e.GetProperty("name").GetString()![..^"_kernel_time".Length];
                double us = e.GetProperty("dur").GetDouble() / runs;
                perOp[op] = perOp.GetValueOrDefault(op) + us;
                perNode[node] = (op, perNode.GetValueOrDefault(node).Us + us);
                total += us;
            }
        }
        File.Delete(file);
        Console.WriteLine($"{Path.GetFileName(model)} on {Path.GetFileName(image)}: kernel time {total / 1000:F1} ms per run (mean of {runs})");
        foreach (var (op, us) in perOp.OrderByDescending(p => p.Value))
            Console.WriteLine($"  {op,-24} {us / 1000,8:F2} ms  {100 * us / total,5:F1}%");
        Console.WriteLine("  slowest nodes:");
        foreach (var (node, (op, us)) in perNode.OrderByDescending(p => p.Value.Us).Take(25))
            Console.WriteLine($"    {node,-48} {op,-20} {us / 1000,8:F2} ms");

        using var plain = new BareOrtScorer(wrapped);
        using var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = model });
        plain.Score(image);
        SegmentationScoring.Score(ml, pipeline, new[] { image }).Single();
        var r = AbbaRounds.Run(() => Time(() => plain.Score(image), runs), () => Time(() => SegmentationScoring.Score(ml, pipeline, new[] { image }).Single(), runs), 3);
        Console.WriteLine($"  bare session (decode + run + copy) {r.MedianA:F1} ms, SegmentFcn pipeline {r.MedianB:F1} ms");
        return 0;
    }

    private static double Time(Action action, int runs)
    {
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) action();
        return clock.Elapsed.TotalMilliseconds / runs;
    }
}
