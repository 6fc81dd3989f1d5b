using Fcn.MLNet.Data;
using Fcn.MLNet.Datasets;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Datasets;

/// <summary>
/// The four standard layouts read from miniature copies: which files a split selects, the classes the masks' stored
/// ids become (checked pixel by pixel against tables typed here from the datasets' own tools), the class metadata,
/// and the error each broken layout gives.
/// </summary>
public class DatasetLayoutTests
{
    /// <summary>cityscapesScripts helpers/labels.py, typed out: (name, id, trainId) for every label.</summary>
    private static readonly (string Name, int Id, int TrainId)[] CityscapesLabels =
    {
        ("unlabeled", 0, 255), ("ego vehicle", 1, 255), ("rectification border", 2, 255), ("out of roi", 3, 255), ("static", 4, 255),
        ("dynamic", 5, 255), ("ground", 6, 255), ("road", 7, 0), ("sidewalk", 8, 1), ("parking", 9, 255), ("rail track", 10, 255),
        ("building", 11, 2), ("wall", 12, 3), ("fence", 13, 4), ("guard rail", 14, 255), ("bridge", 15, 255), ("tunnel", 16, 255),
        ("pole", 17, 5), ("polegroup", 18, 255), ("traffic light", 19, 6), ("traffic sign", 20, 7), ("vegetation", 21, 8),
        ("terrain", 22, 9), ("sky", 23, 10), ("person", 24, 11), ("rider", 25, 12), ("car", 26, 13), ("truck", 27, 14), ("bus", 28, 15),
        ("caravan", 29, 255), ("trailer", 30, 255), ("train", 31, 16), ("motorcycle", 32, 17), ("bicycle", 33, 18), ("license plate", -1, -1),
    };

    /// <summary>What a Cityscapes labelId must become: its trainId, and 255 for ids without one or not in the table.</summary>
    private static int CityscapesExpected(int id) =>
        CityscapesLabels.Where(l => l.Id == id && l.TrainId is >= 0 and < 255).Select(l => l.TrainId).DefaultIfEmpty(255).First();

    private string _dir = "";

    [OneTimeSetUp]
    public void MakeFolder() => _dir = TestPaths.NewTempFolder();

    private string NewDir() => Directory.CreateDirectory(Path.Combine(_dir, Guid.NewGuid().ToString("N")[..8])).FullName;

    private static void AssertMapped(SegmentationDatasetLayout layout, MiniDataset data, IReadOnlyList<FilePair> pairs, Func<int, int> expected)
    {
        foreach (var pair in pairs)
        {
            var (w, h, values) = data.Raw[pair.Stem];
            var map = MaskReader.Read(pair.MaskPath, mapping: layout.LabelMapping);
            Assert.That((map.Width, map.Height), Is.EqualTo((w, h)), pair.Stem);
            for (int i = 0; i < values.Length; i++)
                Assert.That(map.Labels[i], Is.EqualTo(expected(values[i])), $"{pair.Stem} pixel ({i % w}, {i / w}), stored {values[i]}");
        }
    }

    [Test]
    public void Cityscapes_labelIds_become_the_19_train_ids_of_labels_py_and_every_other_id_255()
    {
        var data = MiniDataset.Cityscapes(NewDir());
        var layout = SegmentationDatasetLayout.For(SegmentationDatasetKind.Cityscapes);
        var val = layout.ListFiles(data.Root, "val");
        var train = layout.ListFiles(data.Root, "train");

        Assert.That(val.Select(p => p.Stem), Is.EqualTo(new[] { "frankfurt_000000_000294", "frankfurt_000001_000538" }));
        Assert.That(train.Select(p => p.Stem), Is.EqualTo(data.Splits["train"]), "every city of the split, by stem");
        Assert.That(val[0].ImagePath, Is.EqualTo(Path.Combine(data.Root, "leftImg8bit", "val", "frankfurt", "frankfurt_000000_000294_leftImg8bit.png")));
        Assert.That(val[0].MaskPath, Is.EqualTo(Path.Combine(data.Root, "gtFine", "val", "frankfurt", "frankfurt_000000_000294_gtFine_labelIds.png")));
        AssertMapped(layout, data, train.Concat(val).ToList(), CityscapesExpected);
        Assert.That(data.Raw.Values.SelectMany(r => r.Values).Distinct().Count(v => CityscapesExpected(v) == 255), Is.GreaterThan(10),
            "the masks hold many ids that must be ignored");
        for (int id = 0; id < 256; id++) Assert.That(layout.LabelMapping[id], Is.EqualTo(CityscapesExpected(id)), $"labelId {id}");
    }

    [Test]
    public void Voc_split_files_select_their_images_and_the_palette_index_is_the_class()
    {
        var data = MiniDataset.PascalVoc(NewDir());
        var layout = SegmentationDatasetLayout.For(SegmentationDatasetKind.PascalVoc);
        var val = layout.ListFiles(data.Root, "val");
        Assert.That(val.Select(p => p.Stem), Is.EqualTo(new[] { "2007_000033", "2007_000042" }), "in the split file's order, blank lines skipped");
        Assert.That(layout.ListFiles(data.Root, "trainval"), Has.Count.EqualTo(5));
        Assert.That(layout.ListFiles(Path.Combine(data.Root, "VOC2012"), "train").Select(p => p.Stem), Is.EqualTo(data.Splits["train"]),
            "root = VOCdevkit/VOC2012 works as well as VOCdevkit");
        Assert.That(layout.ListFiles(data.Root, "trainval").Select(p => p.Stem), Has.None.EqualTo("2009_000001"), "an image in no split is left out");
        Assert.That(PngDecoder.Decode(val[0].MaskPath).ColorType, Is.EqualTo(PngColorType.Indexed));
        AssertMapped(layout, data, layout.ListFiles(data.Root, "trainval"), v => v);
        Assert.That(data.Raw.Values.SelectMany(r => r.Values), Has.Some.EqualTo(255), "boundaries stay 255, the ignore label");
    }

    [Test]
    public void Ade20k_reduces_the_zero_label_and_takes_train_and_val_as_the_split_names()
    {
        var data = MiniDataset.Ade20k(NewDir());
        var layout = SegmentationDatasetLayout.For(SegmentationDatasetKind.Ade20k);
        var validation = layout.ListFiles(data.Root, "validation");
        Assert.That(validation.Select(p => p.Stem), Is.EqualTo(new[] { "ADE_val_00000001", "ADE_val_00000002" }));
        Assert.That(layout.ListFiles(data.Root, "val"), Is.EqualTo(validation), "val is validation");
        Assert.That(layout.ListFiles(data.Root, "train").Select(p => p.Stem), Is.EqualTo(data.Splits["training"]), "train is training");
        Assert.That(layout.ListFiles(Path.GetDirectoryName(data.Root)!, "training"), Has.Count.EqualTo(3), "the folder holding ADEChallengeData2016 works too");
        AssertMapped(layout, data, layout.ListFiles(data.Root, "training").Concat(validation).ToList(), v => v == 0 ? 255 : v - 1);
        Assert.That(data.Raw.Values.SelectMany(r => r.Values), Has.Some.EqualTo(0).And.Some.EqualTo(150));
        Assert.That((layout.LabelMapping[0], layout.LabelMapping[1], layout.LabelMapping[150], layout.LabelMapping[255]), Is.EqualTo((255, 0, 149, 255)));
    }

    [Test]
    public void CamVid_pairs_each_split_with_its_annot_folder_and_keeps_11_as_the_ignore_label()
    {
        var data = MiniDataset.CamVid(NewDir());
        var layout = SegmentationDatasetLayout.For(SegmentationDatasetKind.CamVid);
        foreach (var split in new[] { "train", "val", "test" })
        {
            var pairs = layout.ListFiles(data.Root, split);
            Assert.That(pairs.Select(p => p.Stem), Is.EqualTo(data.Splits[split].Order(StringComparer.Ordinal)), split);
            Assert.That(pairs.Select(p => Path.GetDirectoryName(p.MaskPath)), Is.All.EqualTo(Path.Combine(data.Root, split + "annot")));
            AssertMapped(layout, data, pairs, v => v);
        }
        Assert.That(data.Raw.Values.SelectMany(r => r.Values), Has.Some.EqualTo(11));
    }

    [Test]
    public void Each_kind_brings_its_class_names_count_and_ignore_label()
    {
        var voc = SegmentationDatasetLayout.Parse("voc");
        Assert.That((voc.Kind, voc.NumberOfClasses, voc.IgnoreLabel), Is.EqualTo((SegmentationDatasetKind.PascalVoc, 21, 255)));
        Assert.That(voc.ClassNames, Is.EqualTo(new[]
        {
            "background", "aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable", "dog",
            "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor",
        }));

        var cityscapes = SegmentationDatasetLayout.Parse("Cityscapes");
        Assert.That((cityscapes.NumberOfClasses, cityscapes.IgnoreLabel), Is.EqualTo((19, 255)));
        Assert.That(cityscapes.ClassNames, Is.EqualTo(CityscapesLabels.Where(l => l.TrainId is >= 0 and < 255).OrderBy(l => l.TrainId).Select(l => l.Name)),
            "the train ids' names in labels.py");

        var ade = SegmentationDatasetLayout.Parse("ade20k");
        Assert.That((ade.NumberOfClasses, ade.IgnoreLabel), Is.EqualTo((150, 255)));
        Assert.That(ade.ClassNames.Take(5), Is.EqualTo(new[] { "wall", "building", "sky", "floor", "tree" }));
        Assert.That(ade.ClassNames.Skip(145), Is.EqualTo(new[] { "shower", "radiator", "glass", "clock", "flag" }));
        Assert.That(ade.ClassNames, Is.Unique);
        Assert.That(ade.ClassNames, Has.All.Matches<string>(n => n is { Length: > 0 } && n == n.Trim()));

        var camvid = SegmentationDatasetLayout.For(SegmentationDatasetKind.CamVid);
        Assert.That((camvid.Name, camvid.NumberOfClasses, camvid.IgnoreLabel), Is.EqualTo(("camvid", 11, 11)));
        Assert.That(camvid.ClassNames, Is.EqualTo(new[] { "Sky", "Building", "Pole", "Road", "Pavement", "Tree", "SignSymbol", "Fence", "Car", "Pedestrian", "Bicyclist" }));

        Assert.That(SegmentationDatasetLayout.All.Select(l => l.Name), Is.EqualTo(new[] { "voc", "cityscapes", "ade20k", "camvid" }));
        Assert.That(() => SegmentationDatasetLayout.Parse("coco"), Throws.ArgumentException.With.Message.Contains("voc, cityscapes, ade20k, camvid"));
    }

    /// <summary>A broken layout: what to break, the kind, the split, and what the message must name.</summary>
    public static IEnumerable<TestCaseData> BrokenLayouts()
    {
        TestCaseData Case(string name, SegmentationDatasetKind kind, Func<string, MiniDataset> write, string split, Func<MiniDataset, string> breakIt,
            Func<MiniDataset, string[]> expected) =>
            new TestCaseData(kind, write, split, breakIt, expected).SetName("Broken_layout_" + name);

        yield return Case("root_not_found", SegmentationDatasetKind.CamVid, dir => MiniDataset.CamVid(dir), "train",
            d => d.Root + "-typo", d => new[] { "CamVid root not found", d.Root + "-typo" });
        yield return Case("cityscapes_without_gtFine", SegmentationDatasetKind.Cityscapes, dir => MiniDataset.Cityscapes(dir), "val",
            d => { Directory.Delete(Path.Combine(d.Root, "gtFine"), true); return d.Root; },
            d => new[] { "has no gtFine folder", Path.Combine(d.Root, "gtFine"), "<root>/gtFine/<split>/<city>/<city>_<seq>_<frame>_gtFine_labelIds.png" });
        yield return Case("cityscapes_root_one_level_too_deep", SegmentationDatasetKind.Cityscapes, dir => MiniDataset.Cityscapes(dir), "val",
            d => Path.Combine(d.Root, "leftImg8bit"), d => new[] { "has no leftImg8bit folder", "the layout is <root>/leftImg8bit/<split>" });
        yield return Case("cityscapes_unknown_split", SegmentationDatasetKind.Cityscapes, dir => MiniDataset.Cityscapes(dir), "test",
            d => d.Root, d => new[] { "no split 'test'", Path.Combine(d.Root, "leftImg8bit", "test"), "splits here: train, val" });
        yield return Case("cityscapes_missing_mask", SegmentationDatasetKind.Cityscapes, dir => MiniDataset.Cityscapes(dir), "train",
            d => { File.Delete(Path.Combine(d.Root, "gtFine", "train", "bochum", "bochum_000000_000313_gtFine_labelIds.png")); return d.Root; },
            d => new[] { "No mask for", "bochum_000000_000313_leftImg8bit.png", Path.Combine(d.Root, "gtFine", "train", "bochum", "bochum_000000_000313_gtFine_labelIds.png") });
        yield return Case("cityscapes_empty_split", SegmentationDatasetKind.Cityscapes, dir => MiniDataset.Cityscapes(dir), "val",
            d => { Directory.Delete(Path.Combine(d.Root, "leftImg8bit", "val", "frankfurt"), true); return d.Root; },
            d => new[] { "split 'val' is empty", Path.Combine(d.Root, "leftImg8bit", "val") });
        yield return Case("voc_missing_split_file", SegmentationDatasetKind.PascalVoc, dir => MiniDataset.PascalVoc(dir), "test",
            d => d.Root, d => new[] { "no split 'test'", Path.Combine(d.Root, "VOC2012", "ImageSets", "Segmentation", "test.txt"), "splits here: train, trainval, val" });
        yield return Case("voc_empty_split", SegmentationDatasetKind.PascalVoc, dir => MiniDataset.PascalVoc(dir), "val",
            d => { File.WriteAllText(Path.Combine(d.Root, "VOC2012", "ImageSets", "Segmentation", "val.txt"), "\n"); return d.Root; },
            d => new[] { "split 'val' is empty", Path.Combine(d.Root, "VOC2012", "ImageSets", "Segmentation", "val.txt") });
        yield return Case("voc_listed_image_absent", SegmentationDatasetKind.PascalVoc, dir => MiniDataset.PascalVoc(dir), "val",
            d => { File.Delete(Path.Combine(d.Root, "VOC2012", "JPEGImages", "2007_000042.jpg")); return d.Root; },
            d => new[] { "lists '2007_000042'", Path.Combine(d.Root, "VOC2012", "JPEGImages", "2007_000042.jpg"), "is missing" });
        yield return Case("voc_missing_mask", SegmentationDatasetKind.PascalVoc, dir => MiniDataset.PascalVoc(dir), "train",
            d => { File.Delete(Path.Combine(d.Root, "VOC2012", "SegmentationClass", "2007_000039.png")); return d.Root; },
            d => new[] { "No mask for", Path.Combine(d.Root, "VOC2012", "SegmentationClass", "2007_000039.png") });
        yield return Case("voc_without_SegmentationClass", SegmentationDatasetKind.PascalVoc, dir => MiniDataset.PascalVoc(dir), "train",
            d => { Directory.Delete(Path.Combine(d.Root, "VOC2012", "SegmentationClass"), true); return d.Root; },
            d => new[] { "has no SegmentationClass folder", "<root>/SegmentationClass/<stem>.png" });
        yield return Case("ade20k_unknown_split", SegmentationDatasetKind.Ade20k, dir => MiniDataset.Ade20k(dir), "test",
            d => d.Root, d => new[] { "no split 'test'", Path.Combine(d.Root, "images", "test"), "splits here: training, validation" });
        yield return Case("ade20k_missing_mask", SegmentationDatasetKind.Ade20k, dir => MiniDataset.Ade20k(dir), "val",
            d => { File.Delete(Path.Combine(d.Root, "annotations", "validation", "ADE_val_00000002.png")); return d.Root; },
            d => new[] { "No mask for", Path.Combine(d.Root, "annotations", "validation", "ADE_val_00000002.png") });
        yield return Case("ade20k_empty_split", SegmentationDatasetKind.Ade20k, dir => MiniDataset.Ade20k(dir), "validation",
            d => { foreach (var f in Directory.GetFiles(Path.Combine(d.Root, "images", "validation"))) File.Delete(f); return d.Root; },
            d => new[] { "split 'validation' is empty", Path.Combine(d.Root, "images", "validation") });
        yield return Case("camvid_without_annot", SegmentationDatasetKind.CamVid, dir => MiniDataset.CamVid(dir), "val",
            d => { Directory.Delete(Path.Combine(d.Root, "valannot"), true); return d.Root; },
            d => new[] { "split 'val' has no masks", Path.Combine(d.Root, "valannot") });
        yield return Case("camvid_missing_mask", SegmentationDatasetKind.CamVid, dir => MiniDataset.CamVid(dir), "train",
            d => { File.Delete(Path.Combine(d.Root, "trainannot", "0016E5_00390.png")); return d.Root; },
            d => new[] { "No mask for", Path.Combine(d.Root, "trainannot", "0016E5_00390.png") });
        yield return Case("camvid_unknown_split", SegmentationDatasetKind.CamVid, dir => MiniDataset.CamVid(dir), "validation",
            d => d.Root, d => new[] { "no split 'validation'", "splits here: test, train, val" });
    }

    [TestCaseSource(nameof(BrokenLayouts))]
    public void Broken_layouts_are_errors_naming_the_path(SegmentationDatasetKind kind, Func<string, MiniDataset> write, string split,
        Func<MiniDataset, string> breakIt, Func<MiniDataset, string[]> expected)
    {
        var data = write(NewDir());
        string root = breakIt(data);
        var e = Assert.Catch(() => SegmentationDatasetLayout.For(kind).ListFiles(root, split));
        Assert.That(e, Is.InstanceOf<IOException>().Or.InstanceOf<InvalidDataException>(), e!.ToString());
        foreach (var part in expected(data)) Assert.That(e.Message, Does.Contain(part));
        Assert.That(e.Message, Does.Not.Contain("\n"), "one line");
    }

    [Test]
    public void Options_are_validated_once_and_filters_select_sequences()
    {
        var data = MiniDataset.Cityscapes(NewDir());
        var options = new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.Cityscapes, Root = data.Root, Split = "train", Filter = StemFilter.Parse("bochum", null) };
        Assert.That(options.ListFiles().Select(p => p.Stem), Is.EqualTo(new[] { "bochum_000000_000313" }));
        Assert.That(() => new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.Cityscapes, Split = "val" }.Validate(),
            Throws.ArgumentException.With.Message.Contains("Root (--root) is required"));
        Assert.That(() => new SegmentationDatasetOptions { Kind = (SegmentationDatasetKind)9, Root = data.Root, Split = "val" }.Validate(),
            Throws.ArgumentException.With.Message.Contains("not a dataset kind"));
        Assert.That(() => new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.CamVid, Root = data.Root, Split = "val", NameColumnName = "Label" }.Validate(),
            Throws.ArgumentException.With.Message.Contains("must be given and differ"));
        Assert.That(() => new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.Cityscapes, Root = data.Root, Split = "train", Filter = StemFilter.Parse("berlin", null) }.ListFiles(),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("no file name starts with 'berlin'").And.Message.Contains("aachen 2, bochum 1"));
    }

    [Test]
    public void A_label_mapping_has_256_entries_and_refuses_16_bit_values()
    {
        Assert.That(() => new LabelMapping(new[] { 1, 2 }), Throws.ArgumentException.With.Message.Contains("256 entries"));
        Assert.That(() => new LabelMapping(Enumerable.Repeat(-1, 256)), Throws.ArgumentException.With.Message.Contains("≥ 0"));
        Assert.That(LabelMapping.Identity.IsIdentity, Is.True);
        var ade = SegmentationDatasetLayout.For(SegmentationDatasetKind.Ade20k).LabelMapping;
        string path = Path.Combine(NewDir(), "deep.png");
        using (var f = File.Create(path)) PngEncoder.WriteGray16(f, 2, 1, new ushort[] { 3, 300 });
        Assert.That(() => MaskReader.Read(path, mapping: ade), Throws.InstanceOf<InvalidDataException>()
            .With.Message.Contains(path).And.Message.Contains("value 300 at pixel (1, 0)"));
        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(new[] { 3, 300 }), "without a mapping the stored values are the classes");
    }
}
