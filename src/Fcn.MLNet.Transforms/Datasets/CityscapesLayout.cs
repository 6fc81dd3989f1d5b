using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// Cityscapes with fine annotations: <c>leftImg8bit/&lt;split&gt;/&lt;city&gt;/&lt;city&gt;_&lt;seq&gt;_&lt;frame&gt;_leftImg8bit.png</c> and
/// <c>gtFine/&lt;split&gt;/&lt;city&gt;/&lt;same&gt;_gtFine_labelIds.png</c>. The labelIds become the 19 train ids of the official
/// cityscapesScripts <c>helpers/labels.py</c>; every other id (void, parking, rail track, guard rail, bridge, tunnel,
/// polegroup, caravan, trailer, license plate) becomes 255. The stem is <c>&lt;city&gt;_&lt;seq&gt;_&lt;frame&gt;</c>.
/// </summary>
internal sealed class CityscapesLayout : SegmentationDatasetLayout
{
    /// <summary>The 19 evaluated classes, by train id.</summary>
    public static readonly string[] Names =
    {
        "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign", "vegetation", "terrain",
        "sky", "person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle",
    };

    /// <summary>labelId → trainId for the ids that have one (labels.py); the rest are ignored.</summary>
    public static readonly IReadOnlyDictionary<int, int> TrainIds = new Dictionary<int, int>
    {
        [7] = 0, [8] = 1, [11] = 2, [12] = 3, [13] = 4, [17] = 5, [19] = 6, [20] = 7, [21] = 8, [22] = 9,
        [23] = 10, [24] = 11, [25] = 12, [26] = 13, [27] = 14, [28] = 15, [31] = 16, [32] = 17, [33] = 18,
    };

    private const string ImageSuffix = "_leftImg8bit.png", MaskSuffix = "_gtFine_labelIds.png";

    public CityscapesLayout()
        : base(SegmentationDatasetKind.Cityscapes, "cityscapes", "Cityscapes",
            "<root>/leftImg8bit/<split>/<city>/<city>_<seq>_<frame>_leftImg8bit.png with <root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png",
            Names, ignoreLabel: 255, LabelMapping.FromPairs(TrainIds, otherwise: 255))
    {
    }

    private protected override IReadOnlyList<FilePair> List(string root, string split)
    {
        string images = RequireSplitFolder(RequireFolder(root, "leftImg8bit"), split);
        string masks = RequireSplitFolder(RequireFolder(root, "gtFine"), split);
        var pairs = new List<FilePair>();
        foreach (var cityFolder in Directory.EnumerateDirectories(images))
        {
            string city = Path.GetFileName(cityFolder);
            foreach (var image in Directory.EnumerateFiles(cityFolder, "*" + ImageSuffix))
            {
                string name = Path.GetFileName(image);
                if (!name.EndsWith(ImageSuffix, StringComparison.Ordinal)) continue;
                string stem = name[..^ImageSuffix.Length];
                pairs.Add(Pair(stem, image, Path.Combine(masks, city, stem + MaskSuffix)));
            }
        }
        if (pairs.Count == 0)
            throw new InvalidDataException($"{Title}: split '{split}' is empty: no <city>/*{ImageSuffix} under {images} (the layout is {Layout})");
        pairs.Sort((a, b) => string.CompareOrdinal(a.Stem, b.Stem));
        for (int i = 1; i < pairs.Count; i++)
            if (pairs[i].Stem == pairs[i - 1].Stem)
                throw new InvalidDataException($"{Title}: two images share the stem '{pairs[i].Stem}': {pairs[i - 1].ImagePath} and {pairs[i].ImagePath}");
        return pairs;
    }
}
