using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.Data;

namespace Fcn.MLNet.Tests.Training;

/// <summary>The augmentations against hand-computed results: colour maths, rotation geometry, blur kernel, seeding.</summary>
public class AugmentationTests
{
    /// <summary>A distortion that does exactly one thing whenever its coin comes up (degenerate ranges elsewhere).</summary>
    private static PhotometricDistortion Only(double brightness = 0, double contrast = 1, double saturation = 1, double hue = 0) => new()
    {
        BrightnessDelta = brightness, Contrast = (contrast, contrast), Saturation = (saturation, saturation), HueDelta = hue,
    };

    /// <summary>Applies <paramref name="d"/> to one RGB pixel until a draw changes it (the coins are ½ each).</summary>
    private static float[] ApplyToPixel(PhotometricDistortion d, float r, float g, float b, int seed = 1)
    {
        var random = new Random(seed);
        for (int attempt = 0; attempt < 64; attempt++)
        {
            var px = new[] { r, g, b };
            d.Apply(px, 1, random);
            if (px[0] != r || px[1] != g || px[2] != b) return px;
        }
        throw new AssertionException("the distortion never fired");
    }

    [Test]
    public void Saturation_scales_HSV_saturation_and_keeps_hue_and_value()
    {
        // (200, 100, 50): V = 200, S = 0.75, hue between R and G. S × 0.5 = 0.375 → min = 200·(1 − 0.375) = 125, and the
        // middle channel keeps its place between min and max: 125 + (100 − 50)/(200 − 50)·(200 − 125) = 150.
        var px = ApplyToPixel(Only(saturation: 0.5), 200, 100, 50);
        Assert.That(px, Is.EqualTo(new[] { 200f, 150f, 125f }).Within(1e-3f));
        Assert.That(ApplyToPixel(Only(saturation: 0), 200, 100, 50), Is.EqualTo(new[] { 200f, 200f, 200f }).Within(1e-3f), "no saturation is grey at V");
    }

    [Test]
    public void Hue_rotates_around_the_colour_wheel()
    {
        // The hue draw is uniform in ±delta: with delta 120 and a pure red, only the sign and size of the draw matter,
        // so check the invariant instead: V and S are kept, and pure red at +120° is pure green.
        var px = ApplyToPixel(Only(hue: 120), 255, 0, 0, seed: 3);
        Assert.That(px.Max(), Is.EqualTo(255f).Within(1e-3f), "value kept");
        Assert.That(px.Min(), Is.EqualTo(0f).Within(1e-3f), "saturation kept");
        var rotated = new[] { 255f, 0f, 0f };
        var exact = new PhotometricDistortion { BrightnessDelta = 0, Contrast = (1, 1), Saturation = (1, 1), HueDelta = 120 };
        // Find a seed whose hue draw is near +120 (the last coin draws U(−120, 120)); then red lands near green.
        for (int seed = 0; seed < 2000; seed++)
        {
            var p = new[] { 255f, 0f, 0f };
            exact.Apply(p, 1, new Random(seed));
            if (p[1] > 250 && p[0] < 5) { rotated = p; break; }
        }
        Assert.That(rotated, Is.EqualTo(new[] { 0f, 255f, 0f }).Within(6f), "red + 120° ≈ green");
    }

    [Test]
    public void Brightness_and_contrast_work_in_pixel_units_and_clip()
    {
        var up = ApplyToPixel(Only(brightness: 255), 250, 10, 128);
        Assert.That(up, Is.All.InRange(0f, 255f));
        var contrast = ApplyToPixel(Only(contrast: 2), 100, 200, 10);
        Assert.That(contrast, Is.EqualTo(new[] { 200f, 255f, 20f }).Within(1e-3f), "×2, clipped at 255");
    }

    [Test]
    public void Distorting_through_the_normalisation_with_a_no_op_gives_the_image_back()
    {
        var data = TrainingTests.Rectangles(1, 9, 7, seed: 2);
        var s = data[0];
        var prep = new ImagePreprocessing { Scale = 1f, Mean = new[] { 103.94f, 116.78f, 123.68f }, Std = new[] { 57f, 58f, 59f }, ChannelOrder = ChannelOrder.Bgr };
        // Rectangles are normalised-looking values; map them into pixel range first so no clipping happens.
        var (mul, add) = prep.AffineCoefficients();
        var image = new float[s.Image.Length];
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 63; i++) image[c * 63 + i] = (100 + 50 * s.Image[c * 63 + i]) * mul[c] + add[c];
        var sample = new SegmentationSample(image, s.Labels);
        var same = BatchSampler.Distorted(sample, Only(), prep, new Random(1));
        Assert.That(same.Image, Is.EqualTo(sample.Image).Within(1e-4f));

        // Saturation 0 makes the three model channels the same pixel value (grey), whatever the channel order.
        // (The saturation coin is ½: take the first seed whose draw fires it.)
        var grey = Enumerable.Range(0, 64).Select(seed => BatchSampler.Distorted(sample, Only(saturation: 0), prep, new Random(seed)))
            .First(d => !d.Image.SequenceEqual(sample.Image));
        for (int i = 0; i < 63; i++)
        {
            float b = (grey.Image[i] - add[0]) / mul[0], g = (grey.Image[63 + i] - add[1]) / mul[1], r = (grey.Image[126 + i] - add[2]) / mul[2];
            Assert.That(new[] { g, r }, Is.All.EqualTo(b).Within(1e-2f), $"pixel {i}");
        }
    }

    [Test]
    public void Rotation_by_90_degrees_moves_pixels_exactly_and_labels_are_never_blended()
    {
        const int n = 7;
        var image = Enumerable.Range(0, 3 * n * n).Select(i => (float)i).ToArray();
        var labels = Enumerable.Range(0, n * n).Select(i => i % 5).ToArray();
        var s = new SegmentationSample(image, new LabelMap(n, n, labels));
        var r = RandomRotation.Rotate(s, 90, ignoreLabel: 255, padValue: 0);
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
            {
                // out(x, y) = in(x' = n − 1 − y, y' = x) for a 90° rotation about the centre.
                int src = x * n + (n - 1 - y);
                Assert.That(r.Labels.Labels[y * n + x], Is.EqualTo(labels[src]));
                Assert.That(r.Image[y * n + x], Is.EqualTo(image[src]).Within(1e-4f));
            }

        var tilted = RandomRotation.Rotate(new SegmentationSample(new float[3 * 11 * 15], new LabelMap(15, 11, Enumerable.Repeat(3, 165).ToArray())), 30, 255, 0);
        Assert.That(tilted.Labels.Labels, Is.All.EqualTo(3).Or.EqualTo(255), "nearest labels or the ignore label");
        Assert.That(tilted.Labels.Labels[0], Is.EqualTo(255), "a corner comes from outside the image");
        Assert.That(tilted.Labels.Labels[5 * 15 + 7], Is.EqualTo(3), "the centre stays");
    }

    [Test]
    public void Blur_keeps_a_constant_image_and_its_impulse_response_is_the_normalised_Gaussian()
    {
        const int h = 21, w = 23;
        var flat = new SegmentationSample(Enumerable.Repeat(0.7f, 3 * h * w).ToArray(), new LabelMap(w, h, new int[h * w]));
        Assert.That(GaussianBlur.Blur(flat, 1.5).Image, Is.All.EqualTo(0.7f).Within(1e-5f));

        var impulse = new float[3 * h * w];
        impulse[10 * w + 11] = 1f;
        var blurred = GaussianBlur.Blur(new SegmentationSample(impulse, new LabelMap(w, h, new int[h * w])), 1.5);
        double sigma = 1.5, norm = Enumerable.Range(-5, 11).Sum(k => Math.Exp(-k * k / (2 * sigma * sigma)));
        double G(int k) => Math.Exp(-k * k / (2 * sigma * sigma)) / norm;
        Assert.That(blurred.Image[10 * w + 11], Is.EqualTo(G(0) * G(0)).Within(1e-6));
        Assert.That(blurred.Image[12 * w + 10], Is.EqualTo(G(2) * G(1)).Within(1e-6));
        Assert.That(blurred.Image.Take(h * w).Sum(), Is.EqualTo(1.0).Within(1e-5), "mass kept away from the edges");
    }

    [Test]
    public void The_full_pipeline_is_seeded_and_labels_stay_in_the_original_set()
    {
        var data = TrainingTests.Rectangles(6, 20, 24, seed: 4);
        var options = new BatchSamplerOptions
        {
            BatchSize = 2, CropSize = (16, 18), ScaleRange = (0.6, 1.8), Mirror = true, MaxRotationDegrees = 15,
            Photometric = new PhotometricDistortion(), BlurSigma = (0.1, 2.0), Preprocessing = new ImagePreprocessing { Scale = 1f / 255 },
            IgnoreLabel = 255, Seed = 9,
        };
        var a = new BatchSampler(data, options).Batches().Take(8).ToList();
        var b = new BatchSampler(data, options).Batches().Take(8).ToList();
        for (int i = 0; i < a.Count; i++)
        {
            Assert.That(b[i].Images, Is.EqualTo(a[i].Images), $"batch {i} images");
            Assert.That(b[i].Labels, Is.EqualTo(a[i].Labels), $"batch {i} labels");
            Assert.That(a[i].Labels, Is.All.EqualTo(0).Or.EqualTo(1).Or.EqualTo(2).Or.EqualTo(255));
        }
        var other = new BatchSampler(data, options with { Seed = 10 }).Batches().First();
        Assert.That(other.Images, Is.Not.EqualTo(a[0].Images));
    }

    [TestCase(200.0, null, "Rotation (--rotate)")]
    [TestCase(null, 3.0, "Blur (--blur)")]
    public void Out_of_range_augmentations_are_refused(double? rotate, double? blurMin, string message)
    {
        var options = new BatchSamplerOptions { MaxRotationDegrees = rotate, BlurSigma = blurMin is { } m ? (m, 1.0) : null };
        var e = Assert.Throws<ArgumentException>(() => options.ValidateAugmentation());
        Assert.That(e!.Message, Does.Contain(message));
    }
}
