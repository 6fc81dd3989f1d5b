using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.Data;

namespace Fcn.MLNet.Tests.Distributed;

/// <summary>
/// The ranks' shares of a data-parallel batch, laid end to end, are the single-process batch of the global size:
/// same samples, same crops, flips and scales (each sample's draws are seeded by its global position), across epochs
/// and with a dataset size that the global batch does not divide.
/// </summary>
public class BatchShardTests
{
    private static SegmentationDataset Dataset(int count) => SegmentationDataset.FromLoader(count, i =>
    {
        var rng = new Random(100 + i);
        const int w = 9, h = 7;
        var image = Enumerable.Range(0, 3 * w * h).Select(_ => (float)rng.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, w * h).Select(_ => rng.Next(3)).ToArray();
        return new SegmentationSample(image, new LabelMap(w, h, labels));
    }, Enumerable.Range(0, count).Select(i => $"s{i}").ToList());

    private static BatchSamplerOptions Options(int batch, (int, int) shard) => new()
    {
        BatchSize = batch, CropSize = (5, 6), ScaleRange = (0.8, 1.3), Mirror = true, Shuffle = true, Seed = 9, Shard = shard,
    };

    [TestCase(2, 2)]
    [TestCase(3, 1)]
    public void Shares_of_every_rank_make_the_global_batch(int ranks, int perRank)
    {
        var data = Dataset(7);
        var global = new BatchSampler(data, Options(ranks * perRank, (0, 1))).Batches(5).ToList();
        var shares = Enumerable.Range(0, ranks).Select(r => new BatchSampler(data, Options(perRank, (r, ranks))).Batches(5).ToList()).ToList();
        for (int b = 0; b < 5; b++)
        {
            Assert.That(shares.SelectMany(s => s[b].Images), Is.EqualTo(global[b].Images), $"images of batch {b}");
            Assert.That(shares.SelectMany(s => s[b].Labels), Is.EqualTo(global[b].Labels), $"labels of batch {b}");
        }
    }

    [Test]
    public void A_shard_outside_its_world_is_refused()
    {
        Assert.That(() => new BatchSampler(Dataset(2), Options(1, (2, 2))), Throws.ArgumentException.With.Message.Contains("Shard"));
    }
}
