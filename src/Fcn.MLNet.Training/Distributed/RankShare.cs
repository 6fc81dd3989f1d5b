namespace Fcn.MLNet.Training.Distributed;

/// <summary>How ranks split a list of work items (files to score or evaluate) among themselves.</summary>
public static class RankShare
{
    /// <summary>
    /// The items of <paramref name="all"/> this rank handles: every Size-th, starting at its rank (round robin, so
    /// sorted inputs of similar cost spread evenly). The shares of all ranks together are <paramref name="all"/>;
    /// without a world, all of it.
    /// </summary>
    public static IReadOnlyList<T> Share<T>(this MpiWorld? world, IReadOnlyList<T> all) =>
        world is null ? all : all.Where((_, i) => i % world.Size == world.Rank).ToList();
}
