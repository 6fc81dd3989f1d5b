using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// ADE20K SceneParsing as ADEChallengeData2016: <c>images/&lt;training|validation&gt;/*.jpg</c> with
/// <c>annotations/&lt;same&gt;/*.png</c>. The masks store 0 for "other objects" and 1–150 for the classes; as MMSegmentation's
/// <c>reduce_zero_label</c>, value v becomes v − 1 and 0 becomes 255 (255 stays 255). <c>train</c> and <c>val</c> name
/// the two splits too. The root may also be the folder that holds ADEChallengeData2016.
/// </summary>
internal sealed class Ade20kLayout : SegmentationDatasetLayout
{
    /// <summary>
    /// The 150 classes of MMSegmentation's <c>ADE20KDataset.METAINFO</c> (mmseg/datasets/ade.py), in order; MMSegmentation
    /// writes "bed " with a trailing space, kept here as "bed".
    /// </summary>
    public static readonly string[] Names =
    {
        "wall", "building", "sky", "floor", "tree", "ceiling", "road", "bed", "windowpane", "grass", "cabinet", "sidewalk",
        "person", "earth", "door", "table", "mountain", "plant", "curtain", "chair", "car", "water", "painting", "sofa",
        "shelf", "house", "sea", "mirror", "rug", "field", "armchair", "seat", "fence", "desk", "rock", "wardrobe", "lamp",
        "bathtub", "railing", "cushion", "base", "box", "column", "signboard", "chest of drawers", "counter", "sand", "sink",
        "skyscraper", "fireplace", "refrigerator", "grandstand", "path", "stairs", "runway", "case", "pool table", "pillow",
        "screen door", "stairway", "river", "bridge", "bookcase", "blind", "coffee table", "toilet", "flower", "book", "hill",
        "bench", "countertop", "stove", "palm", "kitchen island", "computer", "swivel chair", "boat", "bar", "arcade machine",
        "hovel", "bus", "towel", "light", "truck", "tower", "chandelier", "awning", "streetlight", "booth",
        "television receiver", "airplane", "dirt track", "apparel", "pole", "land", "bannister", "escalator", "ottoman", "bottle",
        "buffet", "poster", "stage", "van", "ship", "fountain", "conveyer belt", "canopy", "washer", "plaything",
        "swimming pool", "stool", "barrel", "basket", "waterfall", "tent", "bag", "minibike", "cradle", "oven", "ball", "food",
        "step", "tank", "trade name", "microwave", "pot", "animal", "bicycle", "lake", "dishwasher", "screen", "blanket",
        "sculpture", "hood", "sconce", "vase", "traffic light", "tray", "ashcan", "fan", "pier", "crt screen", "plate",
        "monitor", "bulletin board", "shower", "radiator", "glass", "clock", "flag",
    };

    private const string Folder = "ADEChallengeData2016";
    private static readonly IReadOnlySet<string> Jpg = new HashSet<string>(new[] { ".jpg" }, StringComparer.OrdinalIgnoreCase);

    public Ade20kLayout()
        : base(SegmentationDatasetKind.Ade20k, "ade20k", "ADE20K",
            "<root>/images/<training|validation>/<stem>.jpg with <root>/annotations/<training|validation>/<stem>.png (<root> = ADEChallengeData2016)",
            Names, ignoreLabel: 255, ReduceZeroLabel())
    {
    }

    /// <summary>0 → 255, v → v − 1 for 1–254, 255 → 255 (MMSegmentation's <c>reduce_zero_label</c>).</summary>
    private static LabelMapping ReduceZeroLabel() =>
        new(Enumerable.Range(0, LabelMapping.Size).Select(v => v is 0 or 255 ? 255 : v - 1));

    private protected override string ResolveRoot(string root)
    {
        string inner = Path.Combine(root, Folder);
        return !Directory.Exists(Path.Combine(root, "images")) && Directory.Exists(inner) ? inner : root;
    }

    private protected override IReadOnlyList<FilePair> List(string root, string split)
    {
        string folder = split switch { "train" => "training", "val" => "validation", _ => split };
        string images = RequireSplitFolder(RequireFolder(root, "images"), split, folder);
        string masks = RequireSplitFolder(RequireFolder(root, "annotations"), split, folder);
        var files = FilePairs.ByStem(images, Jpg, $"{Title} images");
        if (files.Count == 0) throw new InvalidDataException($"{Title}: split '{split}' is empty: {images} holds no .jpg images (the layout is {Layout})");
        return files.Select(f => Pair(f.Key, f.Value, Path.Combine(masks, f.Key + ".png"))).ToList();
    }
}
