namespace Fcn.MLNet.Training;

/// <summary>
/// Derives seeds from a user seed and positions in a run (stage, epoch, iteration) the same way in every process, so
/// a run is reproducible across processes and a resumed run draws exactly what the uninterrupted run drew.
/// (<see cref="HashCode"/> is randomised per process and must not be used for this.) SplitMix64 finalisers over the
/// parts in order.
/// </summary>
public static class SeedMix
{
    /// <summary>A non-negative seed determined by <paramref name="seed"/> and <paramref name="parts"/> alone.</summary>
    public static int Of(int seed, params long[] parts)
    {
        ulong h = Mix((ulong)(uint)seed + 0x9E3779B97F4A7C15UL);
        foreach (long p in parts) h = Mix(h ^ ((ulong)p + 0x9E3779B97F4A7C15UL));
        return (int)(h >> 33);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
