namespace Fcn.MLNet.Imaging;

/// <summary>
/// A lookup table from the values stored in a mask to the classes a model learns and is scored on: one entry per
/// 8-bit value (256), applied by <see cref="MaskReader"/> as the mask is read, after the gray value, palette index or
/// <see cref="ColorClassTable"/> class has been taken. Datasets store ids that are not the training classes —
/// Cityscapes' <c>labelIds</c> become its 19 train ids (everything else 255), ADE20K's 1–150 become 0–149 (0 → 255) —
/// and the table says so once for training, evaluation and comparison alike.
/// </summary>
public sealed class LabelMapping
{
    /// <summary>Entries in the table: one per 8-bit mask value.</summary>
    public const int Size = 256;

    /// <summary>
    /// The annotation a mask-path (label) column carries to have its masks mapped: an <c>Int32</c> vector of
    /// <see cref="Size"/> entries. <c>SemanticSegmentation().Evaluate</c> and <c>Trainers.Fcn</c> apply it when they
    /// read the column; <c>SemanticSegmentation().LoadDataset</c> and <c>LoadFiles</c> attach it.
    /// </summary>
    public const string AnnotationKind = "LabelMapping";

    private readonly int[] _table;

    /// <summary>A mapping given by its <see cref="Size"/> entries: mask value v becomes <c>table[v]</c>.</summary>
    /// <exception cref="ArgumentException">The table does not have 256 entries, or one is negative.</exception>
    public LabelMapping(IEnumerable<int> table)
    {
        ArgumentNullException.ThrowIfNull(table);
        _table = table.ToArray();
        if (_table.Length != Size)
            throw new ArgumentException($"A label mapping has {Size} entries (one per 8-bit mask value), got {_table.Length}.", nameof(table));
        int bad = Array.FindIndex(_table, v => v < 0);
        if (bad >= 0) throw new ArgumentException($"Entry {bad} of the label mapping is {_table[bad]}; classes are ≥ 0.", nameof(table));
        IsIdentity = Enumerable.Range(0, Size).All(v => _table[v] == v);
    }

    /// <summary>Every value to itself (masks that already hold the classes: PASCAL VOC, CamVid).</summary>
    public static LabelMapping Identity { get; } = new(Enumerable.Range(0, Size));

    /// <summary>
    /// The values in <paramref name="classes"/> to their class, every other value to <paramref name="otherwise"/>
    /// (the ignore label): e.g. Cityscapes' labelId → trainId table.
    /// </summary>
    public static LabelMapping FromPairs(IReadOnlyDictionary<int, int> classes, int otherwise)
    {
        ArgumentNullException.ThrowIfNull(classes);
        var table = Enumerable.Repeat(otherwise, Size).ToArray();
        foreach (var (value, label) in classes)
        {
            if ((uint)value >= Size) throw new ArgumentOutOfRangeException(nameof(classes), $"Mask value {value} is not an 8-bit value (0–255).");
            table[value] = label;
        }
        return new LabelMapping(table);
    }

    /// <summary>True when every value maps to itself.</summary>
    public bool IsIdentity { get; }

    /// <summary>The class of mask value <paramref name="value"/> (0–255).</summary>
    public int this[int value] => _table[value];

    /// <summary>The 256 entries.</summary>
    public IReadOnlyList<int> Table => _table;

    /// <summary>
    /// Maps <paramref name="labels"/> in place. A value that has no entry (above 255: a 16-bit mask) is an error naming
    /// <paramref name="source"/> and the pixel.
    /// </summary>
    /// <exception cref="InvalidDataException">A value outside 0–255.</exception>
    public void Apply(int[] labels, int width, string source)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Length; i++)
        {
            int v = labels[i];
            if ((uint)v >= Size)
                throw new InvalidDataException($"{source}: value {v} at pixel ({i % width}, {i / width}) has no entry in the 256-entry label mapping (an 8-bit mask is expected).");
            labels[i] = _table[v];
        }
    }
}
