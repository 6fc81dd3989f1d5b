using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

/// <summary>The <c>fcn</c> command line, run as a separate process.</summary>
public class CliTests
{
    private string _dir = "";
    private string _onnx = "";
    private string _images = "";
    private string _masks = "";
    private TestImage[] _testImages = Array.Empty<TestImage>();
    private TestFcn _fcn = null!;

    [OneTimeSetUp]
    public void WriteModelImagesAndMasks()
    {
        _dir = TestPaths.NewTempFolder();
        _fcn = TestFcn.Create(classes: 3, seed: 12, pool: 2);
        _onnx = _fcn.Save(_dir, "fcn.onnx");
        _images = Path.Combine(_dir, "images");
        _masks = Path.Combine(_dir, "masks");
        Directory.CreateDirectory(_images);
        _testImages = new[] { TestImage.Random(30, 20, 1), TestImage.Random(15, 40, 2) };
        for (int i = 0; i < _testImages.Length; i++)
        {
            var img = _testImages[i];
            using (var f = File.Create(Path.Combine(_images, $"img{i}.png"))) PngEncoder.WriteRgb8(f, img.Width, img.Height, img.Rgb);
            var labels = Enumerable.Range(0, img.Width * img.Height).Select(p => p % 7 == 0 ? 255 : (p / img.Width) % 3).ToArray();
            MaskWriter.WriteIndexPng(Path.Combine(_masks, $"img{i}.png"), new LabelMap(img.Width, img.Height, labels));
        }
    }

    private int[] InProcessMap(int i)
    {
        var ml = new MLContext();
        var data = TestImage.ToDataView(ml, new[] { _testImages[i] });
        return ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = _fcn.Bytes }).Fit(data).Transform(data)
            .GetColumn<int[]>("Segmentation").Single();
    }

    [Test]
    public void Import_then_predict_from_the_zip_in_a_fresh_process_gives_the_in_process_maps()
    {
        string zip = Path.Combine(_dir, "model.zip"), output = Path.Combine(_dir, "pred-zip");
        File.WriteAllLines(Path.Combine(_dir, "names.txt"), new[] { "a", "b", "c" });
        var import = FcnProcess.Run("import", "--onnx", _onnx, "--output", zip, "--classes", Path.Combine(_dir, "names.txt"));
        Assert.That(import.ExitCode, Is.Zero, import.StdErr);
        var predict = FcnProcess.Run("predict", "--model", zip, "--input", _images, "--output", output, "--colorize", "--overlay");
        Assert.That(predict.ExitCode, Is.Zero, predict.StdErr);
        for (int i = 0; i < _testImages.Length; i++)
        {
            var png = PngDecoder.Decode(Path.Combine(output, $"img{i}.png"));
            Assert.That((png.ColorType, png.BitDepth, png.Width, png.Height), Is.EqualTo((PngColorType.Grayscale, 8, _testImages[i].Width, _testImages[i].Height)));
            Assert.That(MaskReader.Read(Path.Combine(output, $"img{i}.png")).Labels, Is.EqualTo(InProcessMap(i)), $"img{i}");
            Assert.That(MaskReader.Read(Path.Combine(output, $"img{i}.color.png")).Labels, Is.EqualTo(InProcessMap(i)), "color PNG is an indexed PNG of the same map");
            Assert.That(File.Exists(Path.Combine(output, $"img{i}.overlay.png")));
        }
    }

    [Test]
    public void Predict_with_masks_writes_image_truth_and_prediction_side_by_side_in_the_palette_colours()
    {
        string output = Path.Combine(_dir, "pred-compare"), colors = Path.Combine(_dir, "colors.txt");
        File.WriteAllText(colors, "10,20,30 0\n40,50,60 1\n70,80,90 2\n");
        var predict = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", output, "--masks", _masks, "--ignore-label", "255", "--palette", colors);
        Assert.That(predict.ExitCode, Is.Zero, predict.StdErr);
        var img = _testImages[1];
        var panel = PngDecoder.Decode(Path.Combine(output, "img1.compare.png"));
        Assert.That((panel.Width, panel.Height), Is.EqualTo((3 * img.Width, img.Height)));
        var truth = MaskReader.Read(Path.Combine(_masks, "img1.png")).Labels;
        var map = InProcessMap(1);
        for (int y = 0; y < img.Height; y += 7)
        for (int x = 0; x < img.Width; x += 3)
        {
            int i = y * img.Width + x, row = 3 * 3 * img.Width * y;
            Assert.That(panel.Samples[row + 3 * x], Is.EqualTo(img.Rgb[3 * i]), "image panel");
            ushort expectedTruth = truth[i] == 255 ? (ushort)0 : (ushort)(10 + 30 * truth[i]);
            Assert.That(panel.Samples[row + 3 * (img.Width + x)], Is.EqualTo(expectedTruth), "truth panel");
            Assert.That(panel.Samples[row + 3 * (2 * img.Width + x)], Is.EqualTo(10 + 30 * map[i]), "prediction panel");
        }
        var missing = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", output, "--masks", _images + "-none");
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StdErr, Does.Contain("masks folder not found"));
    }

    [Test]
    public void Evaluate_predictions_folder_and_model_give_the_same_json_as_the_library()
    {
        string output = Path.Combine(_dir, "pred-onnx"), json1 = Path.Combine(_dir, "r1.json"), json2 = Path.Combine(_dir, "r2.json");
        Assert.That(FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", output).ExitCode, Is.Zero);
        var byFolder = FcnProcess.Run("evaluate", "--masks", _masks, "--predictions", output, "--num-classes", "3", "--json", json1);
        Assert.That(byFolder.ExitCode, Is.Zero, byFolder.StdErr);
        Assert.That(byFolder.StdOut, Does.Contain("mean IU"));
        var byModel = FcnProcess.Run("evaluate", "--masks", _masks, "--model", _onnx, "--images", _images, "--num-classes", "3", "--json", json2);
        Assert.That(byModel.ExitCode, Is.Zero, byModel.StdErr);

        var expected = new Evaluation.SegmentationConfusionMatrix(3);
        for (int i = 0; i < _testImages.Length; i++)
            expected.Add(MaskReader.Read(Path.Combine(_masks, $"img{i}.png")).Labels, InProcessMap(i));
        foreach (var json in new[] { json1, json2 })
        {
            var root = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
            Assert.That(root.GetProperty("meanIU").GetDouble(), Is.EqualTo(expected.ToMetrics().MeanIU).Within(1e-12), json);
            Assert.That(root.GetProperty("pixelAccuracy").GetDouble(), Is.EqualTo(expected.ToMetrics().PixelAccuracy).Within(1e-12), json);
            Assert.That(root.GetProperty("confusionMatrix")[2][2].GetInt64(), Is.EqualTo(expected[2, 2]), json);
        }
    }

    [TestCase(new[] { "predict", "--input", "x", "--output", "y" }, "--model is required")]
    [TestCase(new[] { "predict", "--model", "m.onnx", "--input", "x", "--output", "y", "--bogus", "1" }, "unknown option --bogus")]
    [TestCase(new[] { "evaluate", "--masks", "m", "--num-classes", "three", "--predictions", "p" }, "'three' is not an integer")]
    [TestCase(new[] { "frobnicate" }, "unknown command")]
    [TestCase(new[] { "import", "--onnx", "a.onnx", "--output", "b.txt" }, "must be a .zip")]
    public void Bad_arguments_print_usage_and_exit_2(string[] args, string message)
    {
        var r = FcnProcess.Run(args);
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain(message).And.Contain("usage"));
    }

    [Test]
    public void Zip_with_preprocessing_flags_is_a_usage_error()
    {
        var r = FcnProcess.Run("predict", "--model", "m.zip", "--input", _images, "--output", _dir, "--scale", "2");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain("carries its own preprocessing"));
    }

    [Test]
    public void Tta_and_tile_flags_score_as_the_library_does_and_are_refused_where_they_cannot_apply()
    {
        var tta = new TestTimeAugmentation { HorizontalFlip = true, Scales = new[] { 0.75, 1 } };
        string output = Path.Combine(_dir, "pred-tta");
        var predict = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", output, "--tta-flip", "--tta-scales", "0.75,1");
        Assert.That(predict.ExitCode, Is.Zero, predict.StdErr);
        var ml = new MLContext();
        for (int i = 0; i < _testImages.Length; i++)
        {
            var data = TestImage.ToDataView(ml, new[] { _testImages[i] });
            var expected = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = _fcn.Bytes, TestTimeAugmentation = tta }).Fit(data).Transform(data)
                .GetColumn<int[]>("Segmentation").Single();
            Assert.That(MaskReader.Read(Path.Combine(output, $"img{i}.png")).Labels, Is.EqualTo(expected), $"img{i}");
        }

        var zip = FcnProcess.Run("predict", "--model", "m.zip", "--input", _images, "--output", _dir, "--tta-flip");
        Assert.That(zip.ExitCode, Is.EqualTo(2));
        Assert.That(zip.StdErr, Does.Contain("fcn import --onnx"));
        var bad = FcnProcess.Run("evaluate", "--model", _onnx, "--images", _images, "--masks", _masks, "--num-classes", "3", "--tta-scales", "0,1");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
        Assert.That(bad.StdErr, Does.Contain("(0, 4]"));
        var train = FcnProcess.Run("train", "--backbone", "resnet18", "--arch", "fcn8s", "--images", _images, "--masks", _masks, "--num-classes", "3",
            "--output", Path.Combine(_dir, "never.zip"), "--tta-flip");
        Assert.That(train.ExitCode, Is.EqualTo(2), "training takes no test-time augmentation");

        // Tiling: 32-pixel tiles over the 30×20 and 15×40 images (the second is cut in two rows of tiles).
        string tiledOut = Path.Combine(_dir, "pred-tiled");
        var tiled = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", tiledOut, "--tile", "32", "--tile-overlap", "8");
        Assert.That(tiled.ExitCode, Is.Zero, tiled.StdErr);
        for (int i = 0; i < _testImages.Length; i++)
        {
            var data = TestImage.ToDataView(ml, new[] { _testImages[i] });
            var expected = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = _fcn.Bytes, Tiling = new TiledScoring { TileSize = 32, Overlap = 8 } })
                .Fit(data).Transform(data).GetColumn<int[]>("Segmentation").Single();
            Assert.That(MaskReader.Read(Path.Combine(tiledOut, $"img{i}.png")).Labels, Is.EqualTo(expected), $"tiled img{i}");
        }
        var lone = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", tiledOut, "--tile-overlap", "8", "--overwrite");
        Assert.That(lone.ExitCode, Is.EqualTo(2));
        Assert.That(lone.StdErr, Does.Contain("--tile-overlap goes with --tile"));
        var small = FcnProcess.Run("predict", "--model", _onnx, "--input", _images, "--output", tiledOut, "--tile", "8", "--overwrite");
        Assert.That(small.ExitCode, Is.EqualTo(2));
        Assert.That(small.StdErr, Does.Contain("32 to 16384"));
    }

    [Test]
    public void Failures_print_one_line_and_exit_1()
    {
        var missing = FcnProcess.Run("predict", "--model", Path.Combine(_dir, "nope.onnx"), "--input", _images, "--output", _dir);
        Assert.That(missing.ExitCode, Is.EqualTo(1));
        Assert.That(missing.StdErr.Trim(), Does.Contain("nope.onnx").And.Not.Contain("\n"));

        string badMask = Path.Combine(_dir, "badmasks");
        Directory.CreateDirectory(badMask);
        File.WriteAllText(Path.Combine(badMask, "img0.png"), "not a png");
        var bad = FcnProcess.Run("evaluate", "--masks", badMask, "--predictions", _masks, "--num-classes", "3");
        Assert.That(bad.ExitCode, Is.EqualTo(1));
        Assert.That(bad.StdErr, Does.Contain("img0.png").And.Contain("not a PNG"));
    }
}
