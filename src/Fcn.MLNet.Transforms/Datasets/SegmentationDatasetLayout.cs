using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// What a standard dataset is: where its images and masks lie for a split, its classes, its ignore label, and the
/// <see cref="Imaging.LabelMapping"/> from the ids its masks store to those classes. One instance per
/// <see cref="SegmentationDatasetKind"/> (<see cref="For"/>, or <see cref="Parse"/> by command-line name).
/// </summary>
public abstract class SegmentationDatasetLayout
{
    private static readonly SegmentationDatasetLayout[] Layouts =
        { new PascalVocLayout(), new CityscapesLayout(), new Ade20kLayout(), new CamVidLayout() };

    private protected SegmentationDatasetLayout(SegmentationDatasetKind kind, string name, string title, string layout,
        IReadOnlyList<string> classNames, int ignoreLabel, LabelMapping labelMapping)
    {
        Kind = kind;
        Name = name;
        Title = title;
        Layout = layout;
        ClassNames = classNames;
        IgnoreLabel = ignoreLabel;
        LabelMapping = labelMapping;
    }

    /// <summary>Every layout, in the order of <see cref="SegmentationDatasetKind"/>.</summary>
    public static IReadOnlyList<SegmentationDatasetLayout> All => Layouts;

    /// <summary>The layout of <paramref name="kind"/>.</summary>
    public static SegmentationDatasetLayout For(SegmentationDatasetKind kind) =>
        Layouts.FirstOrDefault(l => l.Kind == kind) ?? throw new ArgumentOutOfRangeException(nameof(kind), $"Unknown dataset kind {kind}.");

    /// <summary>The layout named <paramref name="name"/> (<c>voc</c>, <c>cityscapes</c>, <c>ade20k</c>, <c>camvid</c>; any case).</summary>
    /// <exception cref="ArgumentException">No layout has that name; the message lists the names.</exception>
    public static SegmentationDatasetLayout Parse(string name) =>
        Layouts.FirstOrDefault(l => string.Equals(l.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown dataset '{name}': give one of {string.Join(", ", Layouts.Select(l => l.Name))}");

    /// <summary>The dataset kind.</summary>
    public SegmentationDatasetKind Kind { get; }

    /// <summary>The short name (<c>fcn … --dataset</c>): <c>voc</c>, <c>cityscapes</c>, <c>ade20k</c> or <c>camvid</c>.</summary>
    public string Name { get; }

    /// <summary>The dataset's own name, for messages (e.g. "PASCAL VOC 2012").</summary>
    public string Title { get; }

    /// <summary>The folder layout in one line, as error messages state it.</summary>
    public string Layout { get; }

    /// <summary>The class names, class i at index i (their count is the number of classes).</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <summary>The number of classes.</summary>
    public int NumberOfClasses => ClassNames.Count;

    /// <summary>The label that is neither trained nor scored (255; CamVid's void is 11).</summary>
    public int IgnoreLabel { get; }

    /// <summary>From the values the masks store to <see cref="ClassNames"/> indices (or <see cref="IgnoreLabel"/>).</summary>
    public LabelMapping LabelMapping { get; }

    /// <summary>
    /// The image/mask pairs of <paramref name="split"/> under <paramref name="root"/> (full paths; stems as the dataset
    /// names its images, e.g. Cityscapes' <c>frankfurt_000000_000294</c>). Every listed image must exist and have its
    /// mask; a wrong root, a missing split, an empty split, a missing image or mask is an error naming the path.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The root, a folder of the layout, or the split's folder is missing.</exception>
    /// <exception cref="FileNotFoundException">A split file, a listed image or a mask is missing.</exception>
    /// <exception cref="InvalidDataException">The split holds no images, or lists one twice.</exception>
    public IReadOnlyList<FilePair> ListFiles(string root, string split)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(split);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"{Title} root not found: {full} (the layout is {Layout})");
        return List(ResolveRoot(full), split.Trim());
    }

    /// <summary>The folder the layout starts at, given the folder the user named (e.g. VOCdevkit → VOCdevkit/VOC2012).</summary>
    private protected virtual string ResolveRoot(string root) => root;

    /// <summary>The pairs of a split, from the resolved root.</summary>
    private protected abstract IReadOnlyList<FilePair> List(string root, string split);

    /// <summary>
    /// <paramref name="relative"/> under <paramref name="root"/>, which must exist: else an error saying which folder of
    /// the layout is missing and what the layout is.
    /// </summary>
    private protected string RequireFolder(string root, string relative)
    {
        string path = Path.Combine(root, relative);
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{Title} root {root} has no {relative} folder ({path} not found); the layout is {Layout}");
        return path;
    }

    /// <summary>The split's folder under <paramref name="parent"/>; else an error listing the splits that are there.</summary>
    private protected string RequireSplitFolder(string parent, string split, string? folderName = null)
    {
        string path = Path.Combine(parent, folderName ?? split);
        if (!Directory.Exists(path))
            throw new DirectoryNotFoundException($"{Title}: no split '{split}': {path} not found (splits here: {Describe(SplitsIn(parent))})");
        return path;
    }

    /// <summary>The split names a folder offers (its subfolders), for messages.</summary>
    private protected virtual IEnumerable<string> SplitsIn(string parent) =>
        Directory.EnumerateDirectories(parent).Select(Path.GetFileName).OfType<string>();

    /// <summary>"a, b, c", or "none".</summary>
    private protected static string Describe(IEnumerable<string> names)
    {
        var list = names.Order(StringComparer.Ordinal).ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    /// <summary>The pair of an image and its mask; a missing mask is an error naming the image and the expected mask.</summary>
    private protected static FilePair Pair(string stem, string image, string mask)
    {
        if (!File.Exists(mask)) throw new FileNotFoundException($"No mask for {image}: expected {mask}", mask);
        return new FilePair(stem, image, mask);
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
