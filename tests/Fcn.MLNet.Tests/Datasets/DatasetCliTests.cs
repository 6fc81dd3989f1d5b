using System.Text.Json;
using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Datasets;

/// <summary><c>fcn train|evaluate|predict --dataset &lt;kind&gt; --root &lt;dir&gt; --split &lt;name&gt;</c>, each run a process of its own.</summary>
public class DatasetCliTests
{
    private string _dir = "";
    private MiniDataset _cityscapes = null!;
    private MiniDataset _camvid = null!;

    [OneTimeSetUp]
    public void Write()
    {
        _dir = TestPaths.NewTempFolder();
        _cityscapes = MiniDataset.Cityscapes(_dir);
        _camvid = MiniDataset.CamVid(_dir);
    }

    private static int TrainId(int labelId) => labelId switch
    {
        7 => 0, 8 => 1, 11 => 2, 12 => 3, 13 => 4, 17 => 5, 19 => 6, 20 => 7, 21 => 8, 22 => 9, 23 => 10, 24 => 11, 25 => 12, 26 => 13, 27 => 14,
        28 => 15, 31 => 16, 32 => 17, 33 => 18, _ => 255,
    };

    /// <summary>Seeded random class maps named by stem, as another system would write them.</summary>
    private string WritePredictions(MiniDataset data, string split, int classes, string name)
    {
        string folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        var rng = new Random(7);
        foreach (var stem in data.Splits[split])
        {
            var (w, h, _) = data.Raw[stem];
            MaskWriter.WriteIndexPng(Path.Combine(folder, stem + ".png"), new LabelMap(w, h, Enumerable.Range(0, w * h).Select(_ => rng.Next(classes)).ToArray()));
        }
        return folder;
    }

    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();

    [Test]
    public void Evaluate_dataset_predictions_scores_maps_by_stem_against_the_mapped_masks()
    {
        string predictions = WritePredictions(_cityscapes, "val", 19, "cs-pred"), json = Path.Combine(_dir, "cs.json");
        var r = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--predictions", predictions, "--json", json);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdOut, Does.Contain("mean IU"));

        var expected = new SegmentationConfusionMatrix(19);
        foreach (var stem in _cityscapes.Splits["val"])
            expected.Add(_cityscapes.Raw[stem].Values.Select(TrainId).ToArray(), MaskReader.Read(Path.Combine(predictions, stem + ".png")).Labels, 255);
        var metrics = expected.ToMetrics();
        var root = Json(json);
        Assert.That(root.GetProperty("meanIU").GetDouble(), Is.EqualTo(metrics.MeanIU).Within(1e-12));
        Assert.That(root.GetProperty("pixelAccuracy").GetDouble(), Is.EqualTo(metrics.PixelAccuracy).Within(1e-12));
        Assert.That(root.GetProperty("confusionMatrix").EnumerateArray().Select(row => row.EnumerateArray().Select(v => v.GetInt64()).ToArray()).ToArray(),
            Is.EqualTo(expected.ToArray()));
        Assert.That(root.GetProperty("classNames").EnumerateArray().Select(n => n.GetString()), Is.EqualTo(SegmentationDatasetLayout.Parse("cityscapes").ClassNames));
    }

    [Test]
    public void Evaluate_dataset_camvid_gives_the_numbers_of_the_folder_form()
    {
        string predictions = WritePredictions(_camvid, "val", 11, "cv-pred"), a = Path.Combine(_dir, "cv-dataset.json"), b = Path.Combine(_dir, "cv-folders.json");
        var byDataset = FcnProcess.Run("evaluate", "--dataset", "camvid", "--root", _camvid.Root, "--split", "val", "--predictions", predictions, "--json", a);
        var byFolders = FcnProcess.Run("evaluate", "--masks", Path.Combine(_camvid.Root, "valannot"), "--predictions", predictions,
            "--num-classes", "11", "--ignore-label", "11", "--json", b);
        Assert.That((byDataset.ExitCode, byFolders.ExitCode), Is.EqualTo((0, 0)), byDataset.StdErr + byFolders.StdErr);
        foreach (var key in new[] { "pixelAccuracy", "meanAccuracy", "meanIU", "frequencyWeightedIU", "confusionMatrix", "perClassIU" })
            Assert.That(Json(a).GetProperty(key).ToString(), Is.EqualTo(Json(b).GetProperty(key).ToString()), key);
        Assert.That(Json(a).GetProperty("classNames")[10].GetString(), Is.EqualTo("Bicyclist"));
    }

    [Test]
    public void Evaluate_dataset_names_a_missing_prediction_and_both_files_of_a_size_mismatch()
    {
        string predictions = WritePredictions(_cityscapes, "val", 19, "cs-bad");
        string gone = Path.Combine(predictions, "frankfurt_000001_000538.png");
        File.Delete(gone);
        var missing = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--predictions", predictions);
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StdErr, Does.Contain("No prediction for").And.Contain("expected " + gone));

        MaskWriter.WriteIndexPng(gone, new LabelMap(2, 3));
        var mis = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--predictions", predictions);
        Assert.That(mis.ExitCode, Is.EqualTo(1));
        Assert.That(mis.StdErr, Does.Contain("frankfurt_000001_000538_gtFine_labelIds.png: mask is").And.Contain(gone).And.Contain("is 2x3"));
    }

    [TestCase(new[] { "--images", "x" }, "give either --dataset or --images, not both")]
    [TestCase(new[] { "--masks", "x" }, "give either --dataset or --masks, not both")]
    [TestCase(new[] { "--num-classes", "21" }, "--num-classes 21 disagrees with --dataset cityscapes, which has 19 classes")]
    [TestCase(new[] { "--num-classes", "19", "--ignore-label", "0" }, "--ignore-label 0 disagrees with --dataset cityscapes, whose ignore label is 255")]
    public void Dataset_flags_that_contradict_it_are_usage_errors(string[] extra, string message)
    {
        var r = FcnProcess.Run(new[] { "evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--predictions", _dir }.Concat(extra).ToArray());
        Assert.That(r.ExitCode, Is.EqualTo(2), r.StdErr);
        Assert.That(r.StdErr, Does.Contain(message).And.Contain("usage"));
    }

    [TestCase(new[] { "evaluate", "--dataset", "coco", "--root", "r", "--split", "val", "--predictions", "p" }, "unknown dataset 'coco': give one of voc, cityscapes, ade20k, camvid")]
    [TestCase(new[] { "evaluate", "--dataset", "voc", "--root", "r", "--predictions", "p" }, "--dataset voc needs --root <dir> and --split <name>")]
    [TestCase(new[] { "evaluate", "--masks", "m", "--num-classes", "3", "--split", "val", "--predictions", "p" }, "--root and --split go with --dataset")]
    [TestCase(new[] { "predict", "--model", "m.onnx", "--dataset", "voc", "--root", "r", "--split", "val", "--input", "x", "--output", "o" }, "give either --dataset or --input")]
    [TestCase(new[] { "predict", "--model", "m.onnx", "--input", "x", "--output", "o", "--compare" }, "--compare goes with --dataset")]
    [TestCase(new[] { "train", "--model", "m.onnx", "--dataset", "camvid", "--root", "r", "--split", "train", "--val-images", "v", "--output", "o.onnx" }, "name the validation split with --val-split")]
    [TestCase(new[] { "train", "--model", "m.onnx", "--images", "i", "--masks", "m", "--num-classes", "3", "--val-split", "val", "--output", "o.onnx" }, "--val-split goes with --dataset")]
    public void Misused_dataset_flags_are_usage_errors(string[] args, string message)
    {
        var r = FcnProcess.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2), r.StdErr);
        Assert.That(r.StdErr, Does.Contain(message));
    }

    [Test]
    public void A_wrong_root_is_a_one_line_error_naming_the_missing_folder_and_the_layout()
    {
        var r = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _camvid.Root, "--split", "val", "--predictions", _dir);
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr.Trim(), Does.Contain($"Cityscapes root {_camvid.Root} has no leftImg8bit folder").And.Contain("the layout is <root>/leftImg8bit/").And.Not.Contain("\n"));
    }

    [Test]
    public void Train_on_a_tiny_camvid_layout_validates_on_the_val_split_and_stores_the_class_names()
    {
        string model = TestFcn.Create(classes: 11, seed: 2, weightScale: 0f).Save(_dir, "base11.onnx"), output = Path.Combine(_dir, "camvid.zip");
        var r = FcnProcess.Run("train", "--model", model, "--dataset", "camvid", "--root", _camvid.Root, "--split", "train", "--val-split", "val",
            "--iterations", "2", "--scale", "0.00392157", "--output", output);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        Assert.That(r.StdOut, Does.Contain("training sequences: 0001TP 2, 0016E5 1; validation sequences: 0016E5 2").And.Contain("training on 3 image(s)")
            .And.Contain("validation mean IU"));
        Assert.That(SegmentationModelInfo.Read(output).ClassNames, Is.EqualTo(SegmentationDatasetLayout.Parse("camvid").ClassNames));

        var wrongNames = Path.Combine(_dir, "names.txt");
        File.WriteAllLines(wrongNames, SegmentationDatasetLayout.Parse("camvid").ClassNames.Select(n => n == "Pole" ? "Column" : n));
        var refused = FcnProcess.Run("train", "--model", model, "--dataset", "camvid", "--root", _camvid.Root, "--split", "train", "--classes", wrongNames,
            "--iterations", "1", "--output", Path.Combine(_dir, "never.onnx"));
        Assert.That(refused.ExitCode, Is.EqualTo(2));
        Assert.That(refused.StdErr, Does.Contain("names class 2 'Column' but --dataset camvid calls it 'Pole'"));
    }

    [Test]
    public void Predict_dataset_names_maps_by_stem_and_compares_them_with_the_mapped_masks()
    {
        var fcn = TestFcn.Create(classes: 19, seed: 4);
        string model = fcn.Save(_dir, "fcn19.onnx"), output = Path.Combine(_dir, "cs-predict");
        var r = FcnProcess.Run("predict", "--model", model, "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--output", output, "--compare");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(Directory.GetFiles(output).Select(Path.GetFileName).Order(StringComparer.Ordinal), Is.EqualTo(new[]
        {
            "frankfurt_000000_000294.compare.png", "frankfurt_000000_000294.png", "frankfurt_000001_000538.compare.png", "frankfurt_000001_000538.png",
        }));

        // The truth panel paints each pixel's train id in the PASCAL VOC colours and leaves ignored (255) pixels black.
        string stem = "frankfurt_000000_000294";
        var (w, h, values) = _cityscapes.Raw[stem];
        var panel = PngDecoder.Decode(Path.Combine(output, stem + ".compare.png"));
        var palette = ColorPalette.PascalVoc();
        for (int i = 0; i < w * h; i++)
        {
            int x = i % w, y = i / w, t = TrainId(values[i]);
            var rgb = Enumerable.Range(0, 3).Select(c => (int)panel.Samples[3 * (y * 3 * w + w + x) + c]).ToArray();
            var colour = t == 255 ? new[] { 0, 0, 0 } : new int[] { palette[t].R, palette[t].G, palette[t].B };
            Assert.That(rgb, Is.EqualTo(colour), $"pixel ({x}, {y}), labelId {values[i]}");
        }

        // The maps it wrote, scored without the model, give the metrics of evaluate --dataset with the model.
        string byMaps = Path.Combine(_dir, "cs-maps.json"), byModel = Path.Combine(_dir, "cs-model.json");
        var maps = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--predictions", output, "--json", byMaps);
        var withModel = FcnProcess.Run("evaluate", "--dataset", "cityscapes", "--root", _cityscapes.Root, "--split", "val", "--model", model, "--json", byModel);
        Assert.That((maps.ExitCode, withModel.ExitCode), Is.EqualTo((0, 0)), maps.StdErr + withModel.StdErr);
        Assert.That(Json(byModel).GetProperty("confusionMatrix").ToString(), Is.EqualTo(Json(byMaps).GetProperty("confusionMatrix").ToString()));
        Assert.That(Json(byModel).GetProperty("classNames")[0].GetString(), Is.EqualTo("road"), "the dataset's names when the model has none");
        Assert.That(withModel.StdErr, Does.Contain("evaluating sequences: frankfurt 2"));
    }
}
