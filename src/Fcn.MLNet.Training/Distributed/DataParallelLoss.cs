using System.Diagnostics;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.Optimization;

namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// The loss of a global batch split over ranks, made equal to one process training on the whole batch. Each rank
/// holds its share of the batch. The pixel weights mᵢ·c[yᵢ] are divided by their sum over the whole global batch
/// (an allreduce of the ranks' sums), so each rank's graph computes its part of the global weighted mean
/// (<see cref="PixelWeights"/>) and the gradient of that part; summing parts and gradients over the ranks gives the
/// global loss and gradient. Loss sampling stays exact too: rank r first skips the draws of the pixels of ranks
/// before it, so every pixel gets the draw it gets in one process.
/// </summary>
internal sealed class DataParallelLoss
{
    private readonly MpiWorld _world;
    private readonly Stopwatch _communication = new();
    private GradientBuckets? _buckets;

    public DataParallelLoss(MpiWorld world) => _world = world;

    /// <summary>Time spent in the gradient and loss allreduce so far.</summary>
    public TimeSpan GradientAllreduceTime => _communication.Elapsed;

    /// <summary>Steps whose gradients were reduced.</summary>
    public int Steps { get; private set; }

    /// <summary>Every rank's parameters (and momentum, and the step count) become rank 0's.</summary>
    public void BroadcastState(IReadOnlyList<TrainableParameter> parameters, ref int iteration, ref bool started, bool momentum)
    {
        foreach (var p in parameters)
        {
            _world.Broadcast(p.Values);
            if (momentum) _world.Broadcast(p.Momentum);
        }
        var counters = new long[] { iteration, started ? 1 : 0 };
        _world.Broadcast(counters);
        iteration = (int)counters[0];
        started = counters[1] != 0;
    }

    /// <summary><see cref="PixelWeights.Fill"/> for this rank's share, normalised over the global batch.</summary>
    public void FillWeights(ReadOnlySpan<int> labels, int classes, int? ignoreLabel, float[]? classWeights, double sampleFraction,
        Random random, Span<long> cleanLabels, Span<float> weights)
    {
        if (sampleFraction < 1.0)
        {
            var draws = new double[_world.Size];
            draws[_world.Rank] = PixelWeights.SamplingDraws(labels, ignoreLabel);
            _world.AllreduceSum(draws.AsSpan());
            double before = 0;
            for (int r = 0; r < _world.Rank; r++) before += draws[r];
            for (long k = 0; k < (long)before; k++) random.NextDouble();
        }
        var (_, total) = PixelWeights.FillUnnormalized(labels, classes, ignoreLabel, classWeights, sampleFraction, random, cleanLabels, weights);
        var global = new[] { total };
        _world.AllreduceSum(global.AsSpan());
        PixelWeights.Normalize(weights, global[0]);
    }

    /// <summary>Sums every parameter's gradient (in <see cref="GradientBuckets"/>) and the loss parts over the ranks;
    /// returns the global loss. The parameters must be the same at every call.</summary>
    public double SumOverRanks(IReadOnlyList<TrainableParameter> parameters, float localLoss)
    {
        _communication.Start();
        _buckets ??= new GradientBuckets(parameters.Select(p => p.Gradient).ToList());
        _buckets.SumOverRanks(_world);
        var loss = new double[] { localLoss };
        _world.AllreduceSum(loss.AsSpan());
        _communication.Stop();
        Steps++;
        return loss[0];
    }
}
