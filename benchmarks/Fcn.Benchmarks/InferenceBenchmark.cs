using BenchmarkDotNet.Attributes;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Benchmarks;

/// <summary>
/// Scores the same PNG files with the SegmentFcn pipeline (LoadImages → SegmentFcn, IDataView cursor) and with a
/// bare ORT session running the identical graph. The Ratio column is the pipeline's overhead.
/// </summary>
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 8)]
[MemoryDiagnoser]
public class InferenceBenchmark
{
    private const int Images = 4;
    private IReadOnlyList<string> _paths = Array.Empty<string>();
    private MLContext _ml = null!;
    private ITransformer _pipeline = null!;
    private BareOrtScorer _bare = null!;

    [Params(500)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _paths = BenchmarkImages.Write(Path.Combine(Path.GetTempPath(), "fcn-bench"), Images, Size, Size);
        _ml = new MLContext(seed: 0);
        var options = BenchmarkModel.Options();
        _pipeline = SegmentationScoring.BuildFilePipeline(_ml, options);
        _bare = new BareOrtScorer(_ml.Transforms.SegmentFcn(options).WrappedModel.ToArray());
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _bare.Dispose();
        (_pipeline as IDisposable)?.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare ORT session")]
    public long BareOrt()
    {
        long sum = 0;
        foreach (var path in _paths) sum += _bare.Score(path).Length;
        return sum;
    }

    [Benchmark(Description = "SegmentFcn pipeline")]
    public long SegmentFcnPipeline()
    {
        long sum = 0;
        foreach (var result in SegmentationScoring.Score(_ml, _pipeline, _paths)) sum += result.ClassMap.Labels.Length;
        return sum;
    }
}
