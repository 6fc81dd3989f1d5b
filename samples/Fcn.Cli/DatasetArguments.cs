using Fcn.Cli.Help;
using Fcn.MLNet.Data;
using Fcn.MLNet.Datasets;

namespace Fcn.Cli;

/// <summary>
/// <c>--dataset voc|cityscapes|ade20k|camvid --root &lt;dir&gt; --split &lt;name&gt;</c>: a standard dataset in place of image
/// and mask folders. The kind brings its classes, ignore label and label mapping; the class flags, when given anyway,
/// must agree with it.
/// </summary>
internal sealed class DatasetArguments
{
    /// <summary>The three flags; the kind brings classes, ignore label, class names and label mapping.</summary>
    public static readonly Option[] Flags =
    {
        new("dataset", "voc|cityscapes|ade20k|camvid", "a standard dataset in place of image and mask folders (docs/datasets.md)"),
        new("root", "<dir>", "the dataset's root folder; goes with --dataset"),
        new("split", "<name>", "the split to read (train, val, …); goes with --dataset"),
    };

    private DatasetArguments(SegmentationDatasetLayout layout, string root, string split)
    {
        Layout = layout;
        Root = root;
        Split = split;
    }

    public SegmentationDatasetLayout Layout { get; }

    public string Root { get; }

    public string Split { get; }

    /// <summary>
    /// Reads <c>--dataset</c>, <c>--root</c> and <c>--split</c>; null when <c>--dataset</c> is not given. The folder flags
    /// the dataset replaces (<paramref name="replaced"/>, e.g. <c>images</c>, <c>masks</c>) are a usage error beside it.
    /// </summary>
    public static DatasetArguments? Parse(CommandLine cl, params string[] replaced)
    {
        string? kind = cl.Optional("dataset"), root = cl.Optional("root"), split = cl.Optional("split");
        if (kind is null)
        {
            if (root is not null || split is not null) throw new UsageException("--root and --split go with --dataset");
            return null;
        }
        foreach (var flag in replaced)
            if (cl.Has(flag))
                throw new UsageException($"give either --dataset or --{flag}, not both (--dataset {kind} reads the images and masks of --root" +
                    (flag.StartsWith("val-", StringComparison.Ordinal) ? "; name the validation split with --val-split)" : ")"));
        if (root is null || split is null) throw new UsageException($"--dataset {kind} needs --root <dir> and --split <name>");
        try { return new DatasetArguments(SegmentationDatasetLayout.Parse(kind), root, split); }
        catch (ArgumentException e) { throw new UsageException("--dataset: " + e.Message); }
    }

    /// <summary>The options of a split (this one unless <paramref name="split"/> names another).</summary>
    public SegmentationDatasetOptions Options(string? split = null, StemFilter? filter = null) =>
        new() { Kind = Layout.Kind, Root = Root, Split = split ?? Split, Filter = filter ?? StemFilter.All };

    /// <summary>The image/mask pairs of a split (this one unless <paramref name="split"/> names another).</summary>
    public IReadOnlyList<FilePair> Files(string? split = null, StemFilter? filter = null) => Options(split, filter).ListFiles();

    /// <summary>The kind's class count; <c>--num-classes</c>, when given, must be the same.</summary>
    public int NumberOfClasses(CommandLine cl)
    {
        if (cl.OptionalInt("num-classes") is int n && n != Layout.NumberOfClasses)
            throw new UsageException($"--num-classes {n} disagrees with --dataset {Layout.Name}, which has {Layout.NumberOfClasses} classes (leave --num-classes out)");
        return Layout.NumberOfClasses;
    }

    /// <summary>The kind's ignore label; <c>--ignore-label</c>, when given, must be the same.</summary>
    public int IgnoreLabel(CommandLine cl)
    {
        if (cl.OptionalInt("ignore-label") is int l && l != Layout.IgnoreLabel)
            throw new UsageException($"--ignore-label {l} disagrees with --dataset {Layout.Name}, whose ignore label is {Layout.IgnoreLabel} (leave --ignore-label out)");
        return Layout.IgnoreLabel;
    }

    /// <summary>The kind's class names; a <c>--classes</c> file, when given, must list the same names.</summary>
    public IReadOnlyList<string> ClassNames(string? namesFile)
    {
        if (namesFile is null) return Layout.ClassNames;
        if (!File.Exists(namesFile)) throw new FileNotFoundException($"class names file not found: {namesFile}", namesFile);
        var names = File.ReadAllLines(namesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != Layout.NumberOfClasses)
            throw new UsageException($"--classes {namesFile} lists {names.Length} class names but --dataset {Layout.Name} has {Layout.NumberOfClasses} classes (leave --classes out)");
        int differs = Enumerable.Range(0, names.Length).FirstOrDefault(i => names[i] != Layout.ClassNames[i], -1);
        if (differs >= 0)
            throw new UsageException($"--classes {namesFile} names class {differs} '{names[differs]}' but --dataset {Layout.Name} calls it '{Layout.ClassNames[differs]}' (leave --classes out)");
        return Layout.ClassNames;
    }
}
