using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

public class SegmentFcnTests
{
    private static readonly TestImage[] MixedSizes =
    {
        TestImage.Random(23, 17, seed: 1),
        TestImage.Random(64, 48, seed: 2),
        TestImage.Random(9, 5, seed: 3),
        TestImage.Random(1, 1, seed: 4),
    };

    private static List<(int[] Map, int H, int W)> Score(ITransformer model, IDataView data, string column = "Segmentation")
    {
        var scored = model.Transform(data);
        var maps = scored.GetColumn<int[]>(column).ToList();
        var heights = scored.GetColumn<int>(column + "Height").ToList();
        var widths = scored.GetColumn<int>(column + "Width").ToList();
        return maps.Select((m, i) => (m, heights[i], widths[i])).ToList();
    }

    /// <summary>Asserts equality except where the reference's top-2 margin is within float rounding.</summary>
    private static void AssertSameClasses(int[] actual, int[] expected, double[] margin, string what)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length), what);
        int mismatches = 0, decided = 0;
        for (int p = 0; p < expected.Length; p++)
        {
            if (margin[p] < 1e-4) continue;
            decided++;
            if (actual[p] != expected[p]) mismatches++;
        }
        Assert.That(decided, Is.GreaterThan(expected.Length * 9 / 10), $"{what}: too many near-ties to judge");
        Assert.That(mismatches, Is.Zero, $"{what}: {mismatches} pixels differ from the reference argmax");
    }

    [Test]
    public void Images_of_different_sizes_in_one_IDataView_get_maps_of_their_own_size()
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 5, seed: 7);
        var data = TestImage.ToDataView(ml, MixedSizes);
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, InputColumnName = "Image" }).Fit(data);

        var results = Score(model, data);
        var type = model.Transform(data).Schema["Segmentation"].Type as VectorDataViewType;
        Assert.That(type, Is.Not.Null);
        Assert.That((type!.ItemType, type.IsKnownSize), Is.EqualTo((NumberDataViewType.Int32, false)),
            $"the class map is declared a vector of variable size (H·W differs per row), not {type}");
        Assert.That(model.GetOutputSchema(data.Schema)["Segmentation"].Type, Is.EqualTo(type));
        for (int i = 0; i < MixedSizes.Length; i++)
        {
            var img = MixedSizes[i];
            Assert.That((results[i].H, results[i].W), Is.EqualTo((img.Height, img.Width)));
            var scores = fcn.ReferenceScores(img.Planar(), img.Height, img.Width, out _, out _);
            var (expected, margin, _) = Reference.Argmax(scores, fcn.Classes, img.Height * img.Width);
            AssertSameClasses(results[i].Map, expected, margin, $"image {i} ({img.Width}x{img.Height})");
        }
    }

    [Test]
    public void Coarse_scores_are_upsampled_bilinearly_with_half_pixel_centres_before_the_argmax()
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 4, seed: 11, pool: 4);
        var images = new[] { TestImage.Random(40, 28, 5), TestImage.Random(37, 22, 6) };
        var data = TestImage.ToDataView(ml, images);
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ScoreColumnName = "Score" }).Fit(data);
        var scored = model.Transform(data);
        var maps = scored.GetColumn<int[]>("Segmentation").ToList();
        var best = scored.GetColumn<float[]>("Score").ToList();

        for (int i = 0; i < images.Length; i++)
        {
            var img = images[i];
            var coarse = fcn.ReferenceScores(img.Planar(), img.Height, img.Width, out int h, out int w);
            Assert.That((h, w), Is.Not.EqualTo((img.Height, img.Width)), "the test model must be coarse");
            var full = Reference.ResizeBilinearHalfPixel(coarse, fcn.Classes, h, w, img.Height, img.Width);
            var (expected, margin, bestScore) = Reference.Argmax(full, fcn.Classes, img.Height * img.Width);
            AssertSameClasses(maps[i], expected, margin, $"image {i}");
            Assert.That(best[i], Has.Length.EqualTo(bestScore.Length));
            for (int p = 0; p < bestScore.Length; p++)
                Assert.That(best[i][p], Is.EqualTo(bestScore[p]).Within(1e-4), $"score at pixel {p}");
        }
    }

    [TestCase(255)] // the most a byte class map holds: ids 0–254, 255 marks NaN scores
    [TestCase(256)] // one more: the map stays int32 (class 255 is a class, not the NaN marker)
    public void Class_ids_come_out_unchanged_whether_the_graph_maps_them_as_bytes_or_int32(int classes)
    {
        var img = TestImage.Gradient(150, 110, seed: 6);
        (int[] Classes, double[] Margin) Expected(TestFcn net)
        {
            var coarse = net.ReferenceScores(img.Planar(), img.Height, img.Width, out int h, out int w);
            var (c, m, _) = Reference.Argmax(Reference.ResizeBilinearHalfPixel(coarse, classes, h, w, img.Height, img.Width), classes, img.Height * img.Width);
            return (c, m);
        }
        // Rename the classes so that the lowest one this net predicts becomes the last id, C − 1.
        int lowest = Expected(TestFcn.Create(classes, seed: 5, pool: 4, weightScale: 1f / 4)).Classes.Min();
        var fcn = TestFcn.Create(classes, seed: 5, pool: 4, weightScale: 1f / 4, classShift: classes - 1 - lowest);
        var (expected, margin) = Expected(fcn);
        Assert.That(expected.Max(), Is.EqualTo(classes - 1), "the test must reach the last class id");

        var ml = new MLContext(seed: 0);
        var data = TestImage.ToDataView(ml, new[] { img });
        var estimator = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes });
        Assert.That(Onnx.SegmentationGraph.HasByteClassMap(estimator.Contract), Is.EqualTo(classes <= 255));
        var model = estimator.Fit(data);
        var map = model.Transform(data).GetColumn<int[]>("Segmentation").Single();
        ModelLifetime.Release(model);
        AssertSameClasses(map, expected, margin, $"{classes} classes");
        Assert.That(map.Distinct().Count(), Is.GreaterThan(2), "the test net must predict several classes");
        Assert.That(map.Max(), Is.EqualTo(classes - 1));
    }

    [TestCase(480, 360)] // CamVid: 6 bands of 64 rows, the last one partial
    [TestCase(97, 130)]  // odd sizes, 3 bands
    [TestCase(33, 64)]   // exactly one band
    public void Coarse_scores_resized_and_argmaxed_band_by_band_equal_the_whole_image_reference(int width, int height)
    {
        // The class map and winning score are computed in bands of rows (BandedArgmax); the reference resizes the
        // whole score map at once, in double precision.
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 11, seed: 31, pool: 8, weightScale: 1f / 16);
        var img = TestImage.Gradient(width, height, seed: 17);
        var data = TestImage.ToDataView(ml, new[] { img });
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ScoreColumnName = "Score" }).Fit(data);
        var scored = model.Transform(data);
        var map = scored.GetColumn<int[]>("Segmentation").Single();
        var best = scored.GetColumn<float[]>("Score").Single();
        var coarse = fcn.ReferenceScores(img.Planar(), height, width, out int h, out int w);
        var full = Reference.ResizeBilinearHalfPixel(coarse, fcn.Classes, h, w, height, width);
        var (expected, margin, bestScore) = Reference.Argmax(full, fcn.Classes, height * width);
        AssertSameClasses(map, expected, margin, $"{width}x{height}");
        Assert.That(Enumerable.Range(0, bestScore.Length).Max(p => Math.Abs(best[p] - bestScore[p])), Is.LessThan(1e-4), "winning score");
        Assert.That(map.Distinct().Count(), Is.GreaterThan(2), "the test net must predict several classes");
        ModelLifetime.Release(model);
    }

    [Test]
    public void Preprocessing_is_applied_in_the_models_channel_order()
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 6, seed: 3, weightScale: 2f);
        var img = TestImage.Random(31, 13, 9);
        var prep = new ImagePreprocessing { ChannelOrder = ChannelOrder.Bgr, Scale = 1 / 255f, Mean = new[] { 0.1f, 0.5f, 0.9f }, Std = new[] { 0.2f, 0.3f, 0.4f } };
        var data = TestImage.ToDataView(ml, new[] { img });
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, Preprocessing = prep }).Fit(data);

        var planar = img.Planar(bgr: true);
        int plane = img.Width * img.Height;
        for (int c = 0; c < 3; c++)
            for (int p = 0; p < plane; p++)
                planar[c * plane + p] = (planar[c * plane + p] / 255f - prep.Mean[c]) / prep.Std[c];
        var scores = fcn.ReferenceScores(planar, img.Height, img.Width, out _, out _);
        var (expected, margin, _) = Reference.Argmax(scores, fcn.Classes, plane);
        AssertSameClasses(Score(model, data)[0].Map, expected, margin, "normalised BGR");
    }

    [Test]
    public void Saved_pipeline_loads_in_a_fresh_context_and_gives_identical_maps()
    {
        string dir = TestPaths.NewTempFolder();
        var fcn = TestFcn.Create(classes: 3, seed: 21, pool: 2, classNames: new[] { "sky", "road", "car" });
        var ml = new MLContext(seed: 0);
        var data = ml.Data.LoadFromEnumerable(WritePngs(dir, MixedSizes));
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath")
            .Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ScoreColumnName = "Score", ColorizedColumnName = "Color" }));
        var model = pipeline.Fit(data);
        var before = Score(model, data);
        var scoresBefore = model.Transform(data).GetColumn<float[]>("Score").ToList();
        string zip = Path.Combine(dir, "model.zip");
        ml.Model.Save(model, data.Schema, zip);
        model.Dispose();

        var info = Fcn.MLNet.Scoring.SegmentationModelInfo.Read(zip);
        Assert.That(info.ClassNames, Is.EqualTo(new[] { "sky", "road", "car" }));
        Assert.That(info.NumberOfClasses, Is.EqualTo(3));

        var fresh = new MLContext(seed: 1);
        var loaded = fresh.Model.Load(zip, out var inputSchema);
        Assert.That(inputSchema["ImagePath"].Type, Is.EqualTo(TextDataViewType.Instance));
        var freshData = fresh.Data.LoadFromEnumerable(WritePngs(dir, MixedSizes));
        var after = Score(loaded, freshData);
        var scoresAfter = loaded.Transform(freshData).GetColumn<float[]>("Score").ToList();
        Assert.That(after.Count, Is.EqualTo(before.Count));
        for (int i = 0; i < before.Count; i++)
        {
            Assert.That(after[i].Map, Is.EqualTo(before[i].Map), $"row {i}");
            Assert.That((after[i].H, after[i].W), Is.EqualTo((MixedSizes[i].Height, MixedSizes[i].Width)));
            Assert.That(scoresAfter[i], Is.EqualTo(scoresBefore[i]), $"scores of row {i}");
        }
    }

    private static List<PathRow> WritePngs(string dir, IEnumerable<TestImage> images) =>
        images.Select((img, i) =>
        {
            string path = Path.Combine(dir, $"img{i}.png");
            using (var f = File.Create(path)) Fcn.MLNet.Imaging.PngEncoder.WriteRgb8(f, img.Width, img.Height, img.Rgb);
            return new PathRow { ImagePath = path };
        }).ToList();

    [Test]
    public void Colorized_column_draws_each_class_in_the_VOC_palette()
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 4, seed: 8);
        var data = TestImage.ToDataView(ml, new[] { TestImage.Random(12, 7, 1) });
        var scored = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ColorizedColumnName = "Color" }).Fit(data).Transform(data);
        var map = scored.GetColumn<int[]>("Segmentation").Single();
        using var cursor = scored.GetRowCursor(scored.Schema);
        var getter = cursor.GetGetter<MLImage>(scored.Schema["Color"]);
        Assert.That(cursor.MoveNext());
        MLImage color = null!;
        getter(ref color);
        Assert.That((color.Width, color.Height), Is.EqualTo((12, 7)));
        var voc = Fcn.MLNet.Imaging.ColorPalette.PascalVoc();
        var px = color.Pixels;
        int stride = px.Length / color.Height;
        for (int p = 0; p < map.Length; p++)
        {
            int y = p / 12, x = p % 12, o = y * stride + 4 * x;
            var (r, g, b) = voc[map[p]];
            Assert.That((px[o + 2], px[o + 1], px[o]), Is.EqualTo((r, g, b)), $"pixel {p} class {map[p]}");
        }
    }

    [Test]
    public void Class_names_come_from_the_models_metadata_unless_given()
    {
        var ml = new MLContext();
        var fcn = TestFcn.Create(classes: 2, seed: 1, classNames: new[] { "background", "cat" });
        Assert.That(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }).ClassNames, Is.EqualTo(new[] { "background", "cat" }));
        var given = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ClassNames = new[] { "a", "b" } });
        Assert.That(given.ClassNames, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(given.NumberOfClasses, Is.EqualTo(2));
    }

    [Test]
    public void Pipeline_with_LoadImages_reads_png_files_of_different_sizes()
    {
        string dir = TestPaths.NewTempFolder();
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 3, seed: 5);
        var images = new[] { TestImage.Random(20, 10, 1), TestImage.Random(7, 30, 2) };
        var rows = WritePngs(dir, images);
        var data = ml.Data.LoadFromEnumerable(rows);
        var pipeline = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath")
            .Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }));
        var results = Score(pipeline.Fit(data), data);
        for (int i = 0; i < images.Length; i++)
        {
            var img = images[i];
            var scores = fcn.ReferenceScores(img.Planar(), img.Height, img.Width, out _, out _);
            var (expected, margin, _) = Reference.Argmax(scores, fcn.Classes, img.Width * img.Height);
            AssertSameClasses(results[i].Map, expected, margin, $"png {i}");
        }
    }

    public sealed class PathRow
    {
        public string ImagePath { get; set; } = "";
    }
}
