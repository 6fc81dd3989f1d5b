using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// CamVid as the SegNet tutorial distributes it: <c>&lt;split&gt;/*.png</c> images with <c>&lt;split&gt;annot/*.png</c> masks of
/// the same name (train, val, test); 11 classes, 11 = void (ignored).
/// </summary>
internal sealed class CamVidLayout : SegmentationDatasetLayout
{
    /// <summary>The SegNet 11-class order.</summary>
    public static readonly string[] Names =
        { "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist" };

    private static readonly IReadOnlySet<string> Png = new HashSet<string>(new[] { ".png" }, StringComparer.OrdinalIgnoreCase);

    public CamVidLayout()
        : base(SegmentationDatasetKind.CamVid, "camvid", "CamVid",
            "<root>/<split>/<stem>.png with <root>/<split>annot/<stem>.png (the SegNet layout: train, val, test)",
            Names, ignoreLabel: 11, LabelMapping.Identity)
    {
    }

    private protected override IReadOnlyList<FilePair> List(string root, string split)
    {
        string images = RequireSplitFolder(root, split), masks = Path.Combine(root, split + "annot");
        if (!Directory.Exists(masks))
            throw new DirectoryNotFoundException($"{Title}: split '{split}' has no masks: {masks} not found (the layout is {Layout})");
        return FilePairs.Pair(images, masks, Png, imageRole: $"{Title} split '{split}'", maskRole: "mask");
    }

    private protected override IEnumerable<string> SplitsIn(string parent) =>
        base.SplitsIn(parent).Where(s => Directory.Exists(Path.Combine(parent, s + "annot")));
}
