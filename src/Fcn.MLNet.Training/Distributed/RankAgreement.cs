using System.Security.Cryptography;
using System.Text;

namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// Checks that every rank sees what rank 0 sees (the training data, the settings) before they train together: ranks
/// that listed other files, or were started with other flags, would otherwise combine gradients of different
/// problems without any error.
/// </summary>
public static class RankAgreement
{
    /// <summary>
    /// Throws on every rank whose <paramref name="value"/> differs from rank 0's (a collective: all ranks must call it);
    /// the message names <paramref name="what"/> and shows this rank's value.
    /// </summary>
    /// <exception cref="InvalidOperationException">This rank's value is not rank 0's.</exception>
    public static void RequireSameOnAllRanks(this MpiWorld world, string what, string value)
    {
        ArgumentNullException.ThrowIfNull(world);
        var mine = new long[4];
        Buffer.BlockCopy(SHA256.HashData(Encoding.UTF8.GetBytes(value)), 0, mine, 0, 32);
        var root = (long[])mine.Clone();
        world.Broadcast(root.AsSpan());
        if (!root.AsSpan().SequenceEqual(mine))
            throw new InvalidOperationException($"rank {world.Rank} sees other {what} than rank 0 ({value}): every rank must be started with the same " +
                "arguments on the same files (a filesystem all nodes share).");
    }
}
