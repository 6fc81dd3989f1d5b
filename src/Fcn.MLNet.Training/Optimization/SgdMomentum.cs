using System.Numerics;
using System.Runtime.InteropServices;

namespace Fcn.MLNet.Training.Optimization;

/// <summary>
/// Stochastic gradient descent with momentum and weight decay, the update rule of PyTorch's
/// <c>torch.optim.SGD</c> (dampening 0, no Nesterov), per parameter p with gradient g:
/// <c>d = g + λ·p</c>; <c>b = d</c> on the first step, else <c>b = μ·b + d</c>; <c>p = p − η·b</c>, where
/// η = lr · lr multiplier and λ = weight decay · decay multiplier. The update runs in parallel over chunks of every
/// parameter, vectorised with <see cref="Vector{T}"/>.
/// </summary>
public sealed class SgdMomentum
{
    private const int ChunkSize = 1 << 15;
    private readonly (TrainableParameter Parameter, int Start, int Length)[] _chunks;
    private bool _started;

    /// <summary>Creates the optimizer over <paramref name="parameters"/>.</summary>
    public SgdMomentum(IReadOnlyList<TrainableParameter> parameters, double momentum, double weightDecay)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(momentum);
        ArgumentOutOfRangeException.ThrowIfNegative(weightDecay);
        Momentum = momentum;
        WeightDecay = weightDecay;
        var chunks = new List<(TrainableParameter, int, int)>();
        foreach (var p in parameters)
            for (int start = 0; start < p.Values.Length; start += ChunkSize)
                chunks.Add((p, start, Math.Min(ChunkSize, p.Values.Length - start)));
        _chunks = chunks.ToArray();
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }

    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <summary>Applies one update with base learning rate <paramref name="learningRate"/> to every parameter, using
    /// the gradients in <see cref="TrainableParameter.Gradient"/>.</summary>
    public void Update(double learningRate)
    {
        bool first = !_started;
        _started = true;
        float mu = (float)Momentum;
        Parallel.For(0, _chunks.Length, i =>
        {
            var (p, start, length) = _chunks[i];
            float lr = (float)(learningRate * p.LearningRateMultiplier);
            float wd = (float)(WeightDecay * p.WeightDecayMultiplier);
            Update(p.Values.AsSpan(start, length), p.Gradient.AsSpan(start, length), p.Momentum.AsSpan(start, length),
                lr, wd, mu, noMomentum: first || mu == 0f);
        });
    }

    /// <summary>True once the momentum buffers hold state (after the first update).</summary>
    public bool Started
    {
        get => _started;
        set => _started = value;
    }

    /// <summary>Forgets the momentum buffers (the next step starts them again from the gradient).</summary>
    public void Reset() => _started = false;

    private static void Update(Span<float> p, ReadOnlySpan<float> g, Span<float> b, float lr, float wd, float mu, bool noMomentum)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && p.Length >= Vector<float>.Count)
        {
            var vp = MemoryMarshal.Cast<float, Vector<float>>(p);
            var vg = MemoryMarshal.Cast<float, Vector<float>>(g);
            var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
            var vlr = new Vector<float>(lr);
            var vwd = new Vector<float>(wd);
            var vmu = new Vector<float>(mu);
            for (int k = 0; k < vp.Length; k++)
            {
                var d = vg[k] + vwd * vp[k];
                var buf = noMomentum ? d : vmu * vb[k] + d;
                vb[k] = buf;
                vp[k] -= vlr * buf;
            }
            i = vp.Length * Vector<float>.Count;
        }
        for (; i < p.Length; i++)
        {
            float d = g[i] + wd * p[i];
            float buf = noMomentum ? d : mu * b[i] + d;
            b[i] = buf;
            p[i] -= lr * buf;
        }
    }
}
