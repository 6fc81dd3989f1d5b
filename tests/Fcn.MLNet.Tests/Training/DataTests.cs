using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Imaging;
using Fcn.MLNet.Training.Data;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Samples and batches: loading, mirroring, cropping, padding.</summary>
public class DataTests
{
    private static SegmentationSample Counting(int h, int w)
    {
        var image = Enumerable.Range(0, 3 * h * w).Select(i => (float)i).ToArray();
        return new SegmentationSample(image, new LabelMap(w, h, Enumerable.Range(0, h * w).Select(i => i % 7).ToArray()));
    }

    [Test]
    public void Mirroring_flips_image_and_labels_left_to_right()
    {
        var s = Counting(2, 3);
        var m = BatchSampler.Mirrored(s);
        Assert.That(m.Labels.Labels, Is.EqualTo(new[] { 2, 1, 0, 5, 4, 3 }));
        Assert.That(m.Image[..6], Is.EqualTo(new float[] { 2, 1, 0, 5, 4, 3 }));
        Assert.That(m.Image[6..9], Is.EqualTo(new float[] { 8, 7, 6 }));
    }

    [Test]
    public void Rescaling_by_2_is_half_pixel_bilinear_for_the_image_and_nearest_for_the_labels()
    {
        // One row [0, 1] → 4 columns at source x = −0.25, 0.25, 0.75, 1.25, clamped: 0, 0.25, 0.75, 1.
        var s = new SegmentationSample(new float[] { 0, 1, 10, 11, 20, 21 }, new LabelMap(2, 1, new[] { 3, 5 }));
        var r = BatchSampler.Rescaled(s, 2);
        Assert.That((r.Width, r.Height), Is.EqualTo((4, 2)));
        Assert.That(r.Image[..8], Is.EqualTo(new float[] { 0, 0.25f, 0.75f, 1, 0, 0.25f, 0.75f, 1 }).Within(1e-6));
        Assert.That(r.Image[8..12], Is.EqualTo(new float[] { 10, 10.25f, 10.75f, 11 }).Within(1e-5));
        Assert.That(r.Labels.Labels, Is.EqualTo(new[] { 3, 3, 5, 5, 3, 3, 5, 5 }));
        var half = BatchSampler.Rescaled(Counting(4, 6), 0.5);
        // 2×3 output: each pixel is the mean of a 2×2 block (source centre at .5 offsets), labels from its lower-right pixel.
        Assert.That(half.Image[..3], Is.EqualTo(new float[] { 3.5f, 5.5f, 7.5f }).Within(1e-5));
        Assert.That(half.Labels.Labels[..3], Is.EqualTo(new[] { 7 % 7, 9 % 7, 11 % 7 }));
    }

    [Test]
    public void Scale_jitter_without_crops_draws_factors_in_eighths_within_the_range()
    {
        var sampler = new BatchSampler(SegmentationDataset.FromSamples(new[] { Counting(8, 16) }),
            new BatchSamplerOptions { ScaleRange = (0.5, 1.5), Seed = 3 });
        var widths = sampler.Batches().Take(200).Select(b => b.Width).Distinct().Order().ToArray();
        Assert.That(widths, Is.EqualTo(new[] { 8, 10, 12, 14, 16, 18, 20, 22, 24 }));
        Assert.Throws<ArgumentException>(() => new BatchSampler(SegmentationDataset.FromSamples(new[] { Counting(2, 2) }),
            new BatchSamplerOptions { ScaleRange = (1.5, 0.5) }));
    }

    [Test]
    public void A_crop_larger_than_the_image_pads_with_the_ignore_label_and_pad_value()
    {
        var sampler = new BatchSampler(SegmentationDataset.FromSamples(new[] { Counting(2, 3) }),
            new BatchSamplerOptions { CropSize = (3, 4), IgnoreLabel = 255, PadValue = -1 });
        var batch = sampler.Batches().First();
        Assert.That((batch.Count, batch.Height, batch.Width), Is.EqualTo((1, 3, 4)));
        Assert.That(batch.Labels, Is.EqualTo(new[] { 0, 1, 2, 255, 3, 4, 5, 255, 255, 255, 255, 255 }));
        Assert.That(batch.Images[..4], Is.EqualTo(new float[] { 0, 1, 2, -1 }));
    }

    [Test]
    public void Random_crops_are_windows_of_the_image_with_matching_labels()
    {
        var s = Counting(9, 11);
        var sampler = new BatchSampler(SegmentationDataset.FromSamples(new[] { s }), new BatchSamplerOptions { CropSize = (4, 5), BatchSize = 3, Seed = 9 });
        var batch = sampler.Batches().Skip(2).First();
        Assert.That((batch.Count, batch.Height, batch.Width), Is.EqualTo((3, 4, 5)));
        for (int n = 0; n < 3; n++)
        {
            // The first channel's value at (y, x) is y·11 + x, so the window's origin can be read back.
            int origin = (int)batch.Images[n * 60];
            int top = origin / 11, left = origin % 11;
            for (int y = 0; y < 4; y++)
            for (int x = 0; x < 5; x++)
            {
                Assert.That(batch.Images[n * 60 + y * 5 + x], Is.EqualTo((top + y) * 11 + left + x));
                Assert.That(batch.Labels[n * 20 + y * 5 + x], Is.EqualTo(((top + y) * 11 + left + x) % 7));
            }
        }
    }

    [Test]
    public void Native_size_batches_pad_to_their_largest_image()
    {
        var sampler = new BatchSampler(SegmentationDataset.FromSamples(new[] { Counting(2, 3), Counting(3, 2) }),
            new BatchSamplerOptions { BatchSize = 2, Shuffle = false });
        var batch = sampler.Batches().First();
        Assert.That((batch.Count, batch.Height, batch.Width), Is.EqualTo((2, 3, 3)));
        Assert.That(batch.Labels[..9], Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5, 255, 255, 255 }));
        Assert.That(batch.Labels[9..], Is.EqualTo(new[] { 0, 1, 255, 2, 3, 255, 4, 5, 255 }));
    }

    [Test]
    public void Samples_load_from_image_and_mask_files_with_the_preprocessing_applied()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp.File("images"));
        Directory.CreateDirectory(temp.File("masks"));
        var rgb = new byte[] { 10, 20, 30, 40, 50, 60 }; // 2x1 pixels
        using (var f = File.Create(Path.Combine(temp.File("images"), "a.png"))) PngEncoder.WriteRgb8(f, 2, 1, rgb);
        MaskWriter.WriteIndexPng(Path.Combine(temp.File("masks"), "a.png"), new LabelMap(2, 1, new[] { 3, 255 }));
        var pre = new ImagePreprocessing { ChannelOrder = ChannelOrder.Bgr, Mean = new[] { 1f, 2f, 3f }, Std = new[] { 2f, 2f, 2f } };
        var data = SegmentationDataset.FromFolders(temp.File("images"), temp.File("masks"), pre);
        var s = data[0];
        Assert.That(data.Names, Is.EqualTo(new[] { "a" }));
        Assert.That(s.Labels.Labels, Is.EqualTo(new[] { 3, 255 }));
        // Planar BGR: B = (30, 60), G = (20, 50), R = (10, 40), each (v − mean)/2.
        Assert.That(s.Image, Is.EqualTo(new[] { 14.5f, 29.5f, 9f, 24f, 3.5f, 18.5f }));
    }
}
