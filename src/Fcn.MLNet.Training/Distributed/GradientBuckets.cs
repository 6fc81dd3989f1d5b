namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// Groups gradient tensors into allreduce buckets, as Horovod's fusion buffer and torch DDP's buckets do, so a step
/// pays the per-message latency a few times instead of once per tensor. In order, a tensor of at least
/// <see cref="BucketBytes"/> is summed in place on its own; smaller ones are packed into a shared buffer until it would
/// exceed the bucket size, summed as one message and copied back. Only the small tensors are copied, so the copying
/// is a small fraction of the bytes. Every element is still the plain sum over the ranks.
/// </summary>
public sealed class GradientBuckets
{
    /// <summary>The default bucket size: 4 MB, where OpenMPI's allreduce was already at full speed on one machine
    /// (docs/distributed.md), far below the single-buffer sizes its default algorithm choice handles badly.</summary>
    public const int DefaultBucketBytes = 4 << 20;

    private readonly float[][][] _groups;
    private readonly float[] _buffer;

    /// <summary>Plans the buckets for <paramref name="gradients"/> (arrays summed in place, in this order).</summary>
    public GradientBuckets(IReadOnlyList<float[]> gradients, int bucketBytes = DefaultBucketBytes)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentOutOfRangeException.ThrowIfLessThan(bucketBytes, sizeof(float));
        BucketBytes = bucketBytes;
        int capacity = bucketBytes / sizeof(float);
        var groups = new List<float[][]>();
        var open = new List<float[]>();
        int filled = 0;
        void Close()
        {
            if (open.Count > 0) groups.Add(open.ToArray());
            open.Clear();
            filled = 0;
        }
        foreach (var g in gradients)
        {
            if (g.Length >= capacity)
            {
                groups.Add(new[] { g });
                continue;
            }
            if (filled + g.Length > capacity) Close();
            open.Add(g);
            filled += g.Length;
        }
        Close();
        _groups = groups.ToArray();
        _buffer = new float[_groups.Where(p => p.Length > 1).Select(p => p.Sum(g => g.Length)).DefaultIfEmpty(0).Max()];
    }

    /// <summary>The bucket size in bytes.</summary>
    public int BucketBytes { get; }

    /// <summary>Allreduce calls per <see cref="SumOverRanks"/>.</summary>
    public int Allreduces => _groups.Length;

    /// <summary>Sums every gradient over the ranks, in place (a collective: all ranks must call it with the same plan).</summary>
    public void SumOverRanks(MpiWorld world)
    {
        ArgumentNullException.ThrowIfNull(world);
        foreach (var group in _groups)
        {
            if (group.Length == 1)
            {
                world.AllreduceSum(group[0].AsSpan());
                continue;
            }
            int offset = 0;
            foreach (var g in group)
            {
                g.CopyTo(_buffer, offset);
                offset += g.Length;
            }
            world.AllreduceSum(_buffer.AsSpan(0, offset));
            offset = 0;
            foreach (var g in group)
            {
                _buffer.AsSpan(offset, g.Length).CopyTo(g);
                offset += g.Length;
            }
        }
    }
}
