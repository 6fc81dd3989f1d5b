using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Datasets;

/// <summary>
/// Miniature copies of the four standard layouts, written in a temp folder: 2–3 images per split of a few pixels,
/// masks of seeded random stored ids (including ids that must become the ignore label), and decoy files the readers
/// must pass over. <see cref="Raw"/> keeps every mask's stored values by stem, as written.
/// </summary>
public sealed class MiniDataset
{
    private static readonly (int W, int H)[] Sizes = { (8, 6), (6, 4), (7, 5) };

    private MiniDataset(string root) => Root = root;

    /// <summary>The folder to give as the root.</summary>
    public string Root { get; }

    /// <summary>Stored mask values by stem, with the mask size.</summary>
    public Dictionary<string, (int Width, int Height, int[] Values)> Raw { get; } = new(StringComparer.Ordinal);

    /// <summary>Stems by split, in the order the dataset lists them.</summary>
    public Dictionary<string, List<string>> Splits { get; } = new(StringComparer.Ordinal);

    private (int W, int H, int[] Values) Mask(string split, string stem, int seed, Func<Random, int> draw)
    {
        var (w, h) = Sizes[Raw.Count % Sizes.Length];
        var rng = new Random(seed);
        var values = Enumerable.Range(0, w * h).Select(_ => draw(rng)).ToArray();
        Raw[stem] = (w, h, values);
        (Splits.TryGetValue(split, out var list) ? list : Splits[split] = new List<string>()).Add(stem);
        return (w, h, values);
    }

    private static void WriteImage(string path, int w, int h, int seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var img = TestImage.Random(w, h, seed);
        // The layout tests never decode images; .jpg files hold PNG bytes, which ML.NET decodes by content anyway.
        using var f = File.Create(path);
        PngEncoder.WriteRgb8(f, w, h, img.Rgb);
    }

    private static void WriteGray(string path, int w, int h, int[] values)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var f = File.Create(path);
        PngEncoder.WriteGray8(f, w, h, values.Select(v => (byte)v).ToArray());
    }

    /// <summary>
    /// Cityscapes: train = aachen ×2 + bochum ×1, val = frankfurt ×2; labelIds 0–40 (34–40 are not Cityscapes ids and, as
    /// all ids without a train id, must become 255); gtFine also holds _color, _instanceIds and _polygons.json decoys.
    /// </summary>
    public static MiniDataset Cityscapes(string dir, int seed = 1)
    {
        var d = new MiniDataset(Path.Combine(dir, "cityscapes"));
        var frames = new[]
        {
            ("train", "aachen", "aachen_000000_000019"), ("train", "aachen", "aachen_000001_000019"), ("train", "bochum", "bochum_000000_000313"),
            ("val", "frankfurt", "frankfurt_000000_000294"), ("val", "frankfurt", "frankfurt_000001_000538"),
        };
        int i = 0;
        foreach (var (split, city, stem) in frames)
        {
            var (w, h, values) = d.Mask(split, stem, seed * 100 + i, r => r.Next(0, 41));
            WriteImage(Path.Combine(d.Root, "leftImg8bit", split, city, stem + "_leftImg8bit.png"), w, h, seed * 100 + i++);
            string gt = Path.Combine(d.Root, "gtFine", split, city, stem);
            WriteGray(gt + "_gtFine_labelIds.png", w, h, values);
            WriteGray(gt + "_gtFine_instanceIds.png", w, h, values.Select(v => (v * 7) % 256).ToArray());
            File.WriteAllText(gt + "_gtFine_polygons.json", "{}");
            using (var f = File.Create(gt + "_gtFine_color.png")) PngEncoder.WriteRgb8(f, w, h, new byte[3 * w * h]);
        }
        return d;
    }

    /// <summary>
    /// PASCAL VOC 2012 under VOCdevkit/VOC2012: train (3), val (2), trainval (5) split files, an extra image in no split,
    /// palette masks of 0–20 with 255 boundaries.
    /// </summary>
    public static MiniDataset PascalVoc(string dir, int seed = 2)
    {
        var d = new MiniDataset(Path.Combine(dir, "VOCdevkit"));
        string voc = Path.Combine(d.Root, "VOC2012");
        var splits = new[] { ("train", "2007_000032"), ("train", "2007_000039"), ("train", "2008_000008"), ("val", "2007_000033"), ("val", "2007_000042") };
        int i = 0;
        foreach (var (split, stem) in splits)
        {
            var (w, h, values) = d.Mask(split, stem, seed * 100 + i, r => r.Next(8) == 0 ? 255 : r.Next(21));
            WriteImage(Path.Combine(voc, "JPEGImages", stem + ".jpg"), w, h, seed * 100 + i++);
            Directory.CreateDirectory(Path.Combine(voc, "SegmentationClass"));
            using var f = File.Create(Path.Combine(voc, "SegmentationClass", stem + ".png"));
            PngEncoder.WriteIndexed8(f, w, h, values.Select(v => (byte)v).ToArray(), ColorPalette.PascalVoc().ToRgbTriples());
        }
        WriteImage(Path.Combine(voc, "JPEGImages", "2009_000001.jpg"), 4, 4, 9); // detection-only image: in no segmentation split
        string sets = Path.Combine(voc, "ImageSets", "Segmentation");
        Directory.CreateDirectory(sets);
        File.WriteAllLines(Path.Combine(sets, "train.txt"), d.Splits["train"]);
        File.WriteAllText(Path.Combine(sets, "val.txt"), string.Join("\n", d.Splits["val"]) + "\n\n");
        File.WriteAllLines(Path.Combine(sets, "trainval.txt"), d.Splits["train"].Concat(d.Splits["val"]));
        return d;
    }

    /// <summary>ADEChallengeData2016: training (3), validation (2); stored values 0–150 (0 = "other objects").</summary>
    public static MiniDataset Ade20k(string dir, int seed = 3)
    {
        var d = new MiniDataset(Path.Combine(dir, "ADEChallengeData2016"));
        var files = new[]
        {
            ("training", "ADE_train_00000001"), ("training", "ADE_train_00000002"), ("training", "ADE_train_00000003"),
            ("validation", "ADE_val_00000001"), ("validation", "ADE_val_00000002"),
        };
        int i = 0;
        foreach (var (split, stem) in files)
        {
            var (w, h, values) = d.Mask(split, stem, seed * 100 + i, r => r.Next(5) == 0 ? 0 : r.Next(1, 151));
            if (i == 0) (values[0], values[1], values[2]) = (0, 1, 150); // the ends of the range, always present
            WriteImage(Path.Combine(d.Root, "images", split, stem + ".jpg"), w, h, seed * 100 + i++);
            WriteGray(Path.Combine(d.Root, "annotations", split, stem + ".png"), w, h, values);
        }
        return d;
    }

    /// <summary>CamVid in the SegNet layout: train (3), val (2), test (2); stored values 0–11 (11 = void).</summary>
    public static MiniDataset CamVid(string dir, int seed = 4)
    {
        var d = new MiniDataset(Path.Combine(dir, "CamVid"));
        var files = new[]
        {
            ("train", "0001TP_006690"), ("train", "0001TP_006720"), ("train", "0016E5_00390"),
            ("val", "0016E5_07959"), ("val", "0016E5_07961"), ("test", "0001TP_008550"), ("test", "Seq05VD_f00000"),
        };
        int i = 0;
        foreach (var (split, stem) in files)
        {
            var (w, h, values) = d.Mask(split, stem, seed * 100 + i, r => r.Next(12));
            WriteImage(Path.Combine(d.Root, split, stem + ".png"), w, h, seed * 100 + i++);
            WriteGray(Path.Combine(d.Root, split + "annot", stem + ".png"), w, h, values);
        }
        return d;
    }
}
