using Fcn.MLNet.Training.Distributed;

namespace Fcn.MLNet.Tests.Distributed;

/// <summary>Gradients are summed in few messages: large tensors alone and in place, small ones packed together.</summary>
public class GradientBucketsTests
{
    [Test]
    public void Large_tensors_go_alone_and_small_ones_share_buckets_in_order()
    {
        const int bucket = 1000 * sizeof(float);
        int[] lengths = { 10, 2000, 400, 400, 300, 1000, 5, 5 };
        // [2000] and [1000] alone; [10, 400, 400] (300 more would pass 1000); [300, 5, 5].
        var plan = new GradientBuckets(lengths.Select(n => new float[n]).ToList(), bucket);
        Assert.That(plan.Allreduces, Is.EqualTo(4));
        Assert.That(new GradientBuckets(Enumerable.Range(0, 52).Select(_ => new float[10]).ToList()).Allreduces, Is.EqualTo(1));
    }
}
