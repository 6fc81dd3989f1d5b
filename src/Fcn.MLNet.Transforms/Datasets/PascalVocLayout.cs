using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// PASCAL VOC 2012 segmentation: <c>JPEGImages/&lt;stem&gt;.jpg</c>, <c>SegmentationClass/&lt;stem&gt;.png</c> (palette PNGs whose
/// index is the class; 255 marks boundaries), the split's stems in <c>ImageSets/Segmentation/&lt;split&gt;.txt</c>.
/// The root may be VOCdevkit or VOCdevkit/VOC2012.
/// </summary>
internal sealed class PascalVocLayout : SegmentationDatasetLayout
{
    /// <summary>Background and the 20 object classes, in the devkit's order.</summary>
    public static readonly string[] Names =
    {
        "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow",
        "diningtable", "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
    };

    private const string Images = "JPEGImages", Masks = "SegmentationClass", Splits = "ImageSets/Segmentation";

    public PascalVocLayout()
        : base(SegmentationDatasetKind.PascalVoc, "voc", "PASCAL VOC 2012",
            "<root>/JPEGImages/<stem>.jpg, <root>/SegmentationClass/<stem>.png, <root>/ImageSets/Segmentation/<split>.txt " +
            "(<root> = VOCdevkit/VOC2012 or VOCdevkit)",
            Names, ignoreLabel: 255, LabelMapping.Identity)
    {
    }

    private protected override string ResolveRoot(string root)
    {
        string voc2012 = Path.Combine(root, "VOC2012");
        return !Directory.Exists(Path.Combine(root, Images)) && Directory.Exists(voc2012) ? voc2012 : root;
    }

    private protected override IReadOnlyList<FilePair> List(string root, string split)
    {
        string images = RequireFolder(root, Images), masks = RequireFolder(root, Masks), splits = RequireFolder(root, Splits);
        string file = Path.Combine(splits, split + ".txt");
        if (!File.Exists(file))
        {
            var there = Directory.EnumerateFiles(splits, "*.txt").Select(Path.GetFileNameWithoutExtension).OfType<string>();
            throw new FileNotFoundException($"{Title}: no split '{split}': {file} not found (splits here: {Describe(there)})", file);
        }
        var stems = File.ReadLines(file).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (stems.Count == 0) throw new InvalidDataException($"{Title}: split '{split}' is empty: {file} lists no images");
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pairs = new List<FilePair>(stems.Count);
        foreach (var stem in stems)
        {
            if (!seen.Add(stem)) throw new InvalidDataException($"{Title}: {file} lists '{stem}' twice");
            string image = Path.Combine(images, stem + ".jpg");
            if (!File.Exists(image)) throw new FileNotFoundException($"{Title}: {file} lists '{stem}', but its image {image} is missing", image);
            pairs.Add(Pair(stem, image, Path.Combine(masks, stem + ".png")));
        }
        return pairs;
    }
}
