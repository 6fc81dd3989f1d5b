using Fcn.MLNet.Data;

namespace Fcn.MLNet.Datasets;

/// <summary>Options of <c>mlContext.SemanticSegmentation().LoadDataset(...)</c>: which dataset, where, which split, which columns.</summary>
public sealed class SegmentationDatasetOptions
{
    /// <summary>The dataset's layout.</summary>
    public SegmentationDatasetKind Kind { get; set; }

    /// <summary>
    /// The dataset folder: VOCdevkit or VOCdevkit/VOC2012; the Cityscapes folder holding <c>leftImg8bit</c> and <c>gtFine</c>;
    /// ADEChallengeData2016 (or its parent); the CamVid folder holding <c>train</c>, <c>trainannot</c>, ….
    /// </summary>
    public string Root { get; set; } = "";

    /// <summary>
    /// The split: a VOC split file's name (<c>train</c>, <c>val</c>, <c>trainval</c>); a Cityscapes or CamVid split
    /// folder (<c>train</c>, <c>val</c>, <c>test</c>); ADE20K's <c>training</c>/<c>validation</c> (or <c>train</c>/<c>val</c>).
    /// </summary>
    public string Split { get; set; } = "";

    /// <summary>Keeps only some sequences by stem prefix (e.g. Cityscapes cities); all by default.</summary>
    public StemFilter Filter { get; set; } = StemFilter.All;

    /// <summary>The image path column (the input of LoadImages and of saved Fcn.MLNet models).</summary>
    public string ImagePathColumnName { get; set; } = "ImagePath";

    /// <summary>The mask path column, annotated with the dataset's label mapping (the trainer's and evaluator's label column).</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>The image's stem, the name its prediction goes by (<c>&lt;stem&gt;.png</c>).</summary>
    public string NameColumnName { get; set; } = "Name";

    /// <summary>The layout of <see cref="Kind"/>: class names, ignore label, label mapping.</summary>
    public SegmentationDatasetLayout Layout => SegmentationDatasetLayout.For(Kind);

    /// <summary>Checks the options once, before any file is read.</summary>
    /// <exception cref="ArgumentException">An option is missing or contradicts another.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Kind)) throw new ArgumentException($"Kind: {(int)Kind} is not a dataset kind ({string.Join(", ", Enum.GetNames<SegmentationDatasetKind>())}).");
        if (string.IsNullOrWhiteSpace(Root)) throw new ArgumentException("Root (--root) is required: the dataset folder.");
        if (string.IsNullOrWhiteSpace(Split)) throw new ArgumentException("Split (--split) is required, e.g. train or val.");
        if (Filter is null) throw new ArgumentException("Filter must not be null (StemFilter.All keeps every image).");
        var columns = new[] { ImagePathColumnName, LabelColumnName, NameColumnName };
        if (columns.Any(string.IsNullOrWhiteSpace) || columns.Distinct(StringComparer.Ordinal).Count() != 3)
            throw new ArgumentException($"The column names must be given and differ: {string.Join(", ", columns.Select(c => $"'{c}'"))}.");
    }

    /// <summary>The pairs of the split after <see cref="Filter"/> (validates first).</summary>
    public IReadOnlyList<FilePair> ListFiles()
    {
        Validate();
        var layout = Layout;
        return Filter.Apply(layout.ListFiles(Root, Split), $"{layout.Title} split '{Split}'");
    }
}
