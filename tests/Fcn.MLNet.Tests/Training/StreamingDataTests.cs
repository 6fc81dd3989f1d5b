using System.Collections.Concurrent;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;

namespace Fcn.MLNet.Tests.Training;

/// <summary>
/// Streaming training data: batches loaded and augmented on background workers are the same batches whatever the
/// number of workers, prefetching stays within its bound, errors reach the trainer, and an IDataView is surveyed
/// without decoding its images, which are decoded only when drawn.
/// </summary>
public class StreamingDataTests
{
    private static BatchSamplerOptions Augmenting(int workers) => new()
    {
        BatchSize = 2, CropSize = (16, 18), ScaleRange = (0.6, 1.8), Mirror = true, MaxRotationDegrees = 15,
        Photometric = new PhotometricDistortion(), BlurSigma = (0.1, 2.0), Preprocessing = new ImagePreprocessing { Scale = 1f / 255 },
        IgnoreLabel = 255, Seed = 9, Workers = workers, PrefetchFactor = 2,
    };

    /// <summary>A dataset that records every sample it loads (index, and the thread that loaded it).</summary>
    private sealed class Recording
    {
        public readonly ConcurrentQueue<(int Index, int Thread)> Loads = new();
        public SegmentationDataset Dataset { get; }

        public Recording(SegmentationDataset inner, int? failAt = null, int delayMs = 0) =>
            Dataset = SegmentationDataset.FromLoader(inner.Count, i =>
            {
                if (delayMs > 0) Thread.Sleep(delayMs);
                Loads.Enqueue((i, Environment.CurrentManagedThreadId));
                if (i == failAt) throw new InvalidDataException($"sample {i} is broken");
                return inner[i];
            }, inner.Names);
    }

    [Test]
    public void Batches_are_the_same_whatever_the_number_of_workers()
    {
        // 7 samples, batches of 2: 12 batches run through three epochs and split a sample pair across epochs.
        var data = TrainingTests.Rectangles(7, 20, 24, seed: 4);
        var inline = new BatchSampler(data, Augmenting(0)).Batches(12).ToList();
        foreach (int workers in new[] { 1, 3 })
        {
            var recording = new Recording(data);
            var background = new BatchSampler(recording.Dataset, Augmenting(workers)).Batches(12).ToList();
            Assert.That(background, Has.Count.EqualTo(12));
            for (int i = 0; i < inline.Count; i++)
            {
                Assert.That(background[i].Images, Is.EqualTo(inline[i].Images), $"{workers} worker(s), batch {i} images");
                Assert.That(background[i].Labels, Is.EqualTo(inline[i].Labels), $"{workers} worker(s), batch {i} labels");
            }
            Assert.That(recording.Loads.Select(l => l.Thread).Distinct(), Does.Not.Contain(Environment.CurrentManagedThreadId), "loaded off the consumer's thread");
            // Every epoch draws every sample once.
            var firstEpochs = recording.Loads.Select(l => l.Index).ToList();
            Assert.That(firstEpochs.Count, Is.EqualTo(24));
        }
    }

    [Test]
    public void Each_epoch_is_a_permutation_and_epochs_differ()
    {
        var data = TrainingTests.Rectangles(9, 6, 6, seed: 1);
        var recording = new Recording(data);
        new BatchSampler(recording.Dataset, new BatchSamplerOptions { Seed = 3, Workers = 2 }).Batches(27).ToList();
        // Workers may load out of order; batch b holds position b (batch size 1), so sort the loads by what they fed.
        var all = recording.Loads.Select(l => l.Index).ToList();
        Assert.That(all, Has.Count.EqualTo(27));
        var inline = new Recording(data);
        new BatchSampler(inline.Dataset, new BatchSamplerOptions { Seed = 3 }).Batches(27).ToList();
        var order = inline.Loads.Select(l => l.Index).ToList();
        for (int e = 0; e < 3; e++) Assert.That(order.Skip(9 * e).Take(9).Order(), Is.EqualTo(Enumerable.Range(0, 9)), $"epoch {e}");
        Assert.That(order.Take(9), Is.Not.EqualTo(order.Skip(9).Take(9)), "reshuffled every epoch");
        Assert.That(all.Order(), Is.EqualTo(order.Order()));
    }

    [Test]
    public void Prefetching_stays_within_workers_times_prefetch_factor()
    {
        var recording = new Recording(TrainingTests.Rectangles(10, 8, 8, seed: 2));
        var options = new BatchSamplerOptions { Workers = 2, PrefetchFactor = 2 };
        int consumed = 0, worstAhead = 0;
        foreach (var _ in new BatchSampler(recording.Dataset, options).Batches(30))
        {
            consumed++;
            Thread.Sleep(15); // a slow training step: the workers run ahead as far as they may
            worstAhead = Math.Max(worstAhead, recording.Loads.Count - consumed);
        }
        Assert.That(consumed, Is.EqualTo(30));
        Assert.That(worstAhead, Is.GreaterThan(0), "the workers did prefetch");
        Assert.That(worstAhead, Is.LessThanOrEqualTo(4), "at most Workers × PrefetchFactor batches ahead");
    }

    [Test]
    public void A_loading_error_reaches_the_consumer_at_its_batch_with_its_message()
    {
        var data = TrainingTests.Rectangles(6, 8, 8, seed: 2);
        var recording = new Recording(data, failAt: 4);
        var options = new BatchSamplerOptions { Shuffle = false, Workers = 3 };
        var received = new List<TrainingBatch>();
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var b in new BatchSampler(recording.Dataset, options).Batches(6)) received.Add(b); });
        Assert.That(e!.Message, Is.EqualTo("sample 4 is broken"));
        Assert.That(received, Has.Count.EqualTo(4), "the batches before the broken one arrive first");
    }

    [Test]
    public void Stopping_early_stops_the_workers()
    {
        var recording = new Recording(TrainingTests.Rectangles(5, 8, 8, seed: 2), delayMs: 5);
        var taken = new BatchSampler(recording.Dataset, new BatchSamplerOptions { Workers = 2 }).Batches().Take(3).ToList();
        Assert.That(taken, Has.Count.EqualTo(3));
        int loads = recording.Loads.Count;
        Thread.Sleep(100);
        Assert.That(recording.Loads.Count, Is.EqualTo(loads), "no loading after the consumer stopped");
        Assert.That(loads, Is.LessThanOrEqualTo(3 + 4));
    }

    [Test]
    public void An_IDataView_is_surveyed_from_its_masks_alone_and_its_images_are_decoded_when_drawn()
    {
        // CamVid-sized frames: the survey must not decode them, the loader must decode exactly the rows it is asked for.
        string dir = TestPaths.NewTempFolder();
        const int w = 480, h = 360, classes = 11, ignore = 11;
        var rows = new List<FcnTrainerTests.Row>();
        var expected = new ClassPixelCounts(classes, ignore);
        var rng = new Random(7);
        for (int i = 0; i < 4; i++)
        {
            var rgb = new byte[3 * w * h];
            rng.NextBytes(rgb);
            var labels = new int[w * h];
            for (int p = 0; p < labels.Length; p++) labels[p] = (p / w * 12 / h + i) % 12; // bands of classes 0–10 and the ignore label
            string image = Path.Combine(dir, $"f{i}.png"), mask = Path.Combine(dir, $"f{i}_mask.png");
            using (var f = File.Create(image)) PngEncoder.WriteRgb8(f, w, h, rgb);
            MaskWriter.WriteIndexPng(mask, new LabelMap(w, h, labels));
            expected.Add(labels, w, mask);
            rows.Add(new FcnTrainerTests.Row { ImagePath = image, Label = mask });
        }
        var ml = new MLContext(seed: 1);
        var view = ml.Transforms.LoadImages("Image", "", "ImagePath").Fit(ml.Data.LoadFromEnumerable(rows)).Transform(ml.Data.LoadFromEnumerable(rows));
        var prep = new ImagePreprocessing { Scale = 1f / 255 };

        var kept = File.ReadAllBytes(rows[2].ImagePath);
        foreach (var r in rows) File.Delete(r.ImagePath); // no image can be decoded during the survey
        var source = DataViewSamples.Survey(view, "Image", "Label", prep, "training data", classes, ignore);
        Assert.That(source.Dataset.Count, Is.EqualTo(4));
        Assert.That(source.Dataset.Names, Is.EqualTo(rows.Select(r => r.Label)));
        Assert.That(source.PixelCounts.MedianFrequencyWeights(), Is.EqualTo(expected.MedianFrequencyWeights()));
        Assert.That(source.Fingerprint, Does.StartWith("4 images sha256:"));

        File.WriteAllBytes(rows[2].ImagePath, kept);
        var drawn = source.Dataset.Load(new[] { 2, 2 });
        var reference = SegmentationSample.Load(rows[2].ImagePath, rows[2].Label, prep);
        Assert.That(drawn[0].Image, Is.EqualTo(reference.Image));
        Assert.That(drawn[1].Labels.Labels, Is.EqualTo(reference.Labels.Labels));
        var gone = Assert.Catch<Exception>(() => source.Dataset.Load(new[] { 1 }), "row 1's image is gone: decoding it fails when it is drawn");
        Assert.That(gone!.Message, Does.Contain(rows[1].ImagePath));
    }
}
