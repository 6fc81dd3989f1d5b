using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

/// <summary>
/// Test-time augmentation against an independent computation: every variant scored from the definitions (bilinear
/// half-pixel resize, mirror, 1×1 conv, softmax) in double precision, averaged, argmaxed.
/// </summary>
public class TestTimeAugmentationTests
{
    /// <summary>The averaged class probabilities [C, H, W] that TTA should produce, computed from the definitions.</summary>
    private static double[] ReferenceProbabilities(TestFcn fcn, TestImage img, TestTimeAugmentation tta)
    {
        int H = img.Height, W = img.Width, C = fcn.Classes, plane = H * W;
        var planar = img.Planar().Select(v => (double)v).ToArray();
        var mean = new double[C * plane];
        var variants = tta.Variants;
        foreach (var (scale, mirrored) in variants)
        {
            int hs = Math.Max(1, (int)Math.Floor(H * scale + 0.5)), ws = Math.Max(1, (int)Math.Floor(W * scale + 0.5));
            var input = scale == 1 ? planar : Reference.ResizeBilinearHalfPixel(planar, 3, H, W, hs, ws);
            if (mirrored) input = Mirror(input, 3, hs, ws);
            var scores = fcn.ReferenceScores(input.Select(v => (float)v).ToArray(), hs, ws, out int h, out int w);
            if (h != H || w != W) scores = Reference.ResizeBilinearHalfPixel(scores, C, h, w, H, W);
            if (mirrored) scores = Mirror(scores, C, H, W);
            for (int p = 0; p < plane; p++)
            {
                double max = Enumerable.Range(0, C).Max(c => scores[c * plane + p]);
                double sum = Enumerable.Range(0, C).Sum(c => Math.Exp(scores[c * plane + p] - max));
                for (int c = 0; c < C; c++) mean[c * plane + p] += Math.Exp(scores[c * plane + p] - max) / sum / variants.Count;
            }
        }
        return mean;
    }

    private static double[] Mirror(double[] x, int channels, int h, int w)
    {
        var y = new double[x.Length];
        for (int c = 0; c < channels; c++)
            for (int r = 0; r < h; r++)
                for (int col = 0; col < w; col++)
                    y[(c * h + r) * w + col] = x[(c * h + r) * w + (w - 1 - col)];
        return y;
    }

    [TestCase(1, 4)]   // full-resolution FCN, 4 classes
    [TestCase(8, 11)]  // coarse (stride 8) FCN, CamVid's 11 classes
    public void Multi_scale_and_flip_average_the_variants_probabilities(int pool, int classes)
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes, seed: 21 + pool, pool: pool, weightScale: 1f / 16);
        // A CamVid-sized frame and an odd size (scaled sizes 0.75 × 77 = 57.75, 1.25 × 53 = 66.25: no rounding ties).
        var images = new[] { TestImage.Random(480, 360, 3), TestImage.Random(77, 53, 4) };
        var tta = new TestTimeAugmentation { HorizontalFlip = true, Scales = new[] { 0.75, 1, 1.25 } };
        var data = TestImage.ToDataView(ml, images);
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ScoreColumnName = "Score", TestTimeAugmentation = tta }).Fit(data);
        var scored = model.Transform(data);
        var maps = scored.GetColumn<int[]>("Segmentation").ToList();
        var best = scored.GetColumn<float[]>("Score").ToList();
        for (int i = 0; i < images.Length; i++)
        {
            var img = images[i];
            var (expected, margin, bestProbability) = Reference.Argmax(ReferenceProbabilities(fcn, img, tta), classes, img.Width * img.Height);
            int wrong = Enumerable.Range(0, expected.Length).Count(p => maps[i][p] != expected[p] && margin[p] > 1e-5);
            Assert.That(wrong, Is.Zero, $"image {i}: pixels whose class differs from the reference");
            double worst = Enumerable.Range(0, expected.Length).Max(p => Math.Abs(best[i][p] - bestProbability[p]));
            Assert.That(worst, Is.LessThan(1e-4), $"image {i}: averaged probability of the winning class");
        }
        ModelLifetime.Release(model);
    }

    [Test]
    public void Flip_alone_differs_from_plain_scoring_and_survives_a_zip_round_trip()
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(4, seed: 5, pool: 4, weightScale: 1f / 16);
        // Red rises left to right, green top to bottom: the classes change across the image. The width (98) is not a
        // multiple of the pooling (4), so the mirrored image pools other pixels and mirroring changes the scores.
        const int W = 98, H = 64;
        var rgb = new byte[3 * W * H];
        var noise = new Random(8);
        for (int p = 0; p < W * H; p++) (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = ((byte)(p % W * 255 / (W - 1)), (byte)(p / W * 255 / (H - 1)), (byte)noise.Next(256));
        var images = new[] { new TestImage(W, H, rgb) };
        var data = TestImage.ToDataView(ml, images);
        var tta = new TestTimeAugmentation { HorizontalFlip = true };
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, TestTimeAugmentation = tta }).Fit(data);
        var plain = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }).Fit(data);
        var flipped = model.Transform(data).GetColumn<int[]>("Segmentation").Single();
        var once = plain.Transform(data).GetColumn<int[]>("Segmentation").Single();
        Assert.That(once.Distinct().Count(), Is.GreaterThan(1), "the test net must predict several classes");
        Assert.That(Enumerable.Range(0, once.Length).Count(p => once[p] != flipped[p]), Is.GreaterThan(0), "a coarse net is not mirror-symmetric");
        var (expected, margin, _) = Reference.Argmax(ReferenceProbabilities(fcn, images[0], tta), 4, W * H);
        Assert.That(Enumerable.Range(0, expected.Length).Count(p => flipped[p] != expected[p] && margin[p] > 1e-5), Is.Zero);

        // The zip round trip, on the file pipeline fcn import saves.
        string dir = TestPaths.NewTempFolder(), png = Path.Combine(dir, "gradient.png"), zip = Path.Combine(dir, "tta.zip");
        using (var f = File.Create(png)) Fcn.MLNet.Imaging.PngEncoder.WriteRgb8(f, W, H, rgb);
        var files = Fcn.MLNet.Scoring.SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = fcn.Bytes, TestTimeAugmentation = tta });
        Assert.That(Fcn.MLNet.Scoring.SegmentationScoring.Score(ml, files, new[] { png }).Single().ClassMap.Labels, Is.EqualTo(flipped));
        ml.Model.Save(files, ml.Data.LoadFromEnumerable(Array.Empty<Fcn.MLNet.Scoring.ImagePathRow>()).Schema, zip);
        var loaded = ml.Model.Load(zip, out _);
        Assert.That(Fcn.MLNet.Scoring.SegmentationScoring.Score(ml, loaded, new[] { png }).Single().ClassMap.Labels, Is.EqualTo(flipped));
        foreach (var m in new[] { model, plain, files, loaded }) ModelLifetime.Release(m);
    }

    [TestCase("0,1", "(0, 4]")]
    [TestCase("1,5", "(0, 4]")]
    [TestCase("1,1", "repeat")]
    [TestCase("1,x", "not a number")]
    [TestCase("0.5,0.75,1,1.25,1.5,1.75,2,2.5,3", "at most 16")]
    public void Bad_scales_are_refused_with_the_flag_named(string scales, string message)
    {
        var e = Assert.Catch<Exception>(() => TestTimeAugmentation.Parse(scales, flip: true));
        Assert.That(e, Is.InstanceOf<ArgumentException>().Or.InstanceOf<FormatException>());
        Assert.That(e!.Message, Does.Contain(message));
    }

    [Test]
    public void Shift_and_stitch_and_test_time_augmentation_do_not_combine()
    {
        var fcn = TestFcn.Create(3, seed: 1, pool: 4);
        var e = Assert.Throws<ArgumentException>(() => new MLContext().Transforms.SegmentFcn(new SegmentFcnOptions
        {
            ModelBytes = fcn.Bytes, ShiftAndStitch = (4, 2), TestTimeAugmentation = new TestTimeAugmentation { HorizontalFlip = true },
        }));
        Assert.That(e!.Message, Does.Contain("cannot be combined"));
    }
}
