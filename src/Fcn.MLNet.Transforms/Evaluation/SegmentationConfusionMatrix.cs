namespace Fcn.MLNet.Evaluation;

/// <summary>
/// One confusion matrix over a whole dataset, as in the FCN reference <c>score.py</c>:
/// <c>Counts[i, j]</c> = pixels of true class i predicted as j. Pixels whose true label is the ignore label (e.g. 255)
/// are skipped and counted in <see cref="Ignored"/>; any other label outside <c>[0, NumberOfClasses)</c> is an error
/// (see <c>Add</c>).
/// </summary>
public sealed class SegmentationConfusionMatrix
{
    private readonly long[] _counts;

    /// <summary>
    /// The most classes evaluated (and trained): the matrix holds classes² counts, 128 MB at this limit; label PNGs
    /// hold up to 65536 values, and the largest common benchmarks have a few hundred classes.
    /// </summary>
    public const int MaxClasses = 4096;

    /// <summary>An empty matrix for <paramref name="numberOfClasses"/> classes (1 to <see cref="MaxClasses"/>).</summary>
    public SegmentationConfusionMatrix(int numberOfClasses)
    {
        if (numberOfClasses is < 1 or > MaxClasses)
            throw new ArgumentOutOfRangeException(nameof(numberOfClasses), $"The number of classes must be 1 to {MaxClasses}, got {numberOfClasses}.");
        NumberOfClasses = numberOfClasses;
        _counts = new long[numberOfClasses * numberOfClasses];
    }

    /// <summary>The number of classes n_cl.</summary>
    public int NumberOfClasses { get; }

    /// <summary>Pixels of true class <paramref name="truth"/> predicted as <paramref name="predicted"/>.</summary>
    public long this[int truth, int predicted] => _counts[truth * NumberOfClasses + predicted];

    /// <summary>Pixels counted so far (ignored pixels excluded).</summary>
    public long Total { get; private set; }

    /// <summary>Pixels skipped because their label was the ignore label.</summary>
    public long Ignored { get; private set; }

    /// <summary>
    /// Adds one image. <paramref name="truth"/> and <paramref name="predicted"/> are row-major label maps of equal
    /// length. A true label equal to <paramref name="ignoreLabel"/> is skipped; any other true label outside
    /// <c>[0, n_cl)</c>, or a prediction outside it, is an error naming <paramref name="source"/>.
    /// </summary>
    public void Add(ReadOnlySpan<int> truth, ReadOnlySpan<int> predicted, int? ignoreLabel = 255, string source = "image")
    {
        if (truth.Length != predicted.Length)
            throw new ArgumentException($"{source}: ground truth has {truth.Length} pixels but the prediction has {predicted.Length}.");
        int n = NumberOfClasses;
        long counted = 0, ignored = 0;
        for (int p = 0; p < truth.Length; p++)
        {
            int t = truth[p];
            if ((uint)t >= (uint)n)
            {
                if (t == ignoreLabel) { ignored++; continue; }
                throw new InvalidDataException(
                    $"{source}: ground-truth label {t} at pixel {p} is not a class in [0, {n}) nor the ignore label{(ignoreLabel is int l ? $" {l}" : "")}.");
            }
            int q = predicted[p];
            if ((uint)q >= (uint)n)
                throw new InvalidDataException(q == Onnx.SegmentationGraph.NotAScoreClass
                    ? $"{source}: the model's scores are NaN at pixel {p} (a broken or diverged model); its maps cannot be evaluated."
                    : $"{source}: predicted class {q} at pixel {p} is not in [0, {n}).");
            _counts[t * n + q]++;
            counted++;
        }
        Total += counted;
        Ignored += ignored;
    }

    /// <summary>Adds another matrix's counts (e.g. from a parallel worker).</summary>
    public void Add(SegmentationConfusionMatrix other)
    {
        if (other.NumberOfClasses != NumberOfClasses)
            throw new ArgumentException($"Cannot add a {other.NumberOfClasses}-class matrix to a {NumberOfClasses}-class one.");
        for (int i = 0; i < _counts.Length; i++) _counts[i] += other._counts[i];
        Total += other.Total;
        Ignored += other.Ignored;
    }

    /// <summary>t_i: ground-truth pixels of class i.</summary>
    public long TruthCount(int i)
    {
        long s = 0;
        for (int j = 0; j < NumberOfClasses; j++) s += this[i, j];
        return s;
    }

    /// <summary>Σ_j n_ji: pixels predicted as class i.</summary>
    public long PredictedCount(int i)
    {
        long s = 0;
        for (int j = 0; j < NumberOfClasses; j++) s += this[j, i];
        return s;
    }

    /// <summary>The counts row-major, then <see cref="Total"/> and <see cref="Ignored"/>: one buffer to sum across processes.</summary>
    internal long[] Pack()
    {
        var packed = new long[_counts.Length + 2];
        _counts.CopyTo(packed, 0);
        packed[^2] = Total;
        packed[^1] = Ignored;
        return packed;
    }

    /// <summary>The matrix of a buffer written by <see cref="Pack"/> (or a sum of such buffers).</summary>
    internal static SegmentationConfusionMatrix Unpack(int numberOfClasses, ReadOnlySpan<long> packed)
    {
        var m = new SegmentationConfusionMatrix(numberOfClasses);
        if (packed.Length != m._counts.Length + 2)
            throw new ArgumentException($"A packed {numberOfClasses}-class matrix has {m._counts.Length + 2} numbers, got {packed.Length}.");
        packed[..m._counts.Length].CopyTo(m._counts);
        m.Total = packed[^2];
        m.Ignored = packed[^1];
        return m;
    }

    /// <summary>The counts as a jagged array, rows = truth.</summary>
    public long[][] ToArray() =>
        Enumerable.Range(0, NumberOfClasses).Select(i => _counts.AsSpan(i * NumberOfClasses, NumberOfClasses).ToArray()).ToArray();

    /// <summary>The four metrics of the FCN paper (Section 5) and per-class figures for these counts.</summary>
    public SemanticSegmentationMetrics ToMetrics(IReadOnlyList<string>? classNames = null) => new(this, classNames);
}
