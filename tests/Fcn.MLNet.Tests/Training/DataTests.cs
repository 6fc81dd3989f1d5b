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
