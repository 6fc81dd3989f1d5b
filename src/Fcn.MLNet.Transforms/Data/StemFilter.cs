namespace Fcn.MLNet.Data;

/// <summary>
/// Selects image/mask pairs by the start of their file stem — the sequence (drive, city, scene) that names a frame
/// in video datasets: CamVid's <c>0016E5_07959</c>, Cityscapes' <c>aachen_000000_000019</c>. Splitting by sequence
/// keeps frames of one drive out of both training and validation, so validation measures a drive the net has not seen.
/// </summary>
/// <param name="Include">Keep only stems starting with one of these (empty keeps all).</param>
/// <param name="Exclude">Then drop stems starting with one of these.</param>
public sealed record StemFilter(IReadOnlyList<string> Include, IReadOnlyList<string> Exclude)
{
    /// <summary>Keeps everything.</summary>
    public static StemFilter All { get; } = new(Array.Empty<string>(), Array.Empty<string>());

    /// <summary>From comma-separated prefix lists (either may be null).</summary>
    public static StemFilter Parse(string? include, string? exclude)
    {
        static string[] List(string? s) => s is null ? Array.Empty<string>()
            : s.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return new StemFilter(List(include), List(exclude));
    }

    /// <summary>True when the filter keeps every pair.</summary>
    public bool KeepsAll => Include.Count == 0 && Exclude.Count == 0;

    /// <summary>
    /// The pairs whose stems pass, in their order. A prefix that matches no pair, or a filter that keeps nothing, is an
    /// error naming <paramref name="role"/> and the sequences that are there.
    /// </summary>
    public IReadOnlyList<FilePair> Apply(IReadOnlyList<FilePair> pairs, string role)
    {
        if (KeepsAll) return pairs;
        foreach (var prefix in Include.Concat(Exclude))
            if (!pairs.Any(p => p.Stem.StartsWith(prefix, StringComparison.Ordinal)))
                throw new InvalidDataException($"{role}: no file name starts with '{prefix}' (sequences here: {Describe(Sequences(pairs))}).");
        var kept = pairs.Where(p => (Include.Count == 0 || Include.Any(i => p.Stem.StartsWith(i, StringComparison.Ordinal)))
                                    && !Exclude.Any(e => p.Stem.StartsWith(e, StringComparison.Ordinal))).ToList();
        if (kept.Count == 0) throw new InvalidDataException($"{role}: the sequence filter keeps no files (sequences here: {Describe(Sequences(pairs))}).");
        return kept;
    }

    /// <summary>Frames per sequence: the stem up to its first '_' (the whole stem when it has none), in ordinal order.</summary>
    public static IReadOnlyDictionary<string, int> Sequences(IEnumerable<FilePair> pairs) =>
        new SortedDictionary<string, int>(pairs.GroupBy(p => SequenceOf(p.Stem)).ToDictionary(g => g.Key, g => g.Count()), StringComparer.Ordinal);

    /// <summary>The sequence a stem belongs to: its text before the first '_'.</summary>
    public static string SequenceOf(string stem) => stem.IndexOf('_') is int i and > 0 ? stem[..i] : stem;

    /// <summary>"0001TP 62, 0016E5 204".</summary>
    public static string Describe(IReadOnlyDictionary<string, int> sequences) => string.Join(", ", sequences.Select(kv => $"{kv.Key} {kv.Value}"));
}
