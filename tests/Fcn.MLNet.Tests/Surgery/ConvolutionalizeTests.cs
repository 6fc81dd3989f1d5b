using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Surgery;

namespace Fcn.MLNet.Tests.Surgery;

public class ConvolutionalizeTests
{
    [Test]
    public void Convolutionalized_vgg_like_net_matches_classifier_logits_at_its_canonical_size()
    {
        var classifier = TestClassifiers.VggLike();
        var fcn = Convolutionalizer.Convolutionalize(classifier, "vgg_like");
        Assert.That(fcn.Canonical, Is.EqualTo((16, 16)));
        Assert.That(fcn.FullyConnected, Has.Count.EqualTo(2));
        Assert.That(fcn.Model.Graph.Node.Select(n => n.OpType), Has.None.EqualTo("Gemm").And.None.EqualTo("Flatten").And.None.EqualTo("BatchNormalization"));
        for (int seed = 0; seed < 3; seed++)
        {
            var x = Ort.Random(3 * 16 * 16, 100 + seed, 2f);
            var expected = Ort.Run(classifier, x, 1, 3, 16, 16).Values;
            var (actual, shape) = Ort.Run(fcn.Model, x, 1, 3, 16, 16);
            Assert.That(shape, Is.EqualTo(new long[] { 1, 5, 1, 1 }));
            Assert.That(actual, Is.EqualTo(expected).Within(1e-4f), $"seed {seed}");
        }
    }

    [Test]
    public void On_a_larger_input_each_score_map_position_is_the_classifier_on_its_window()
    {
        var classifier = TestClassifiers.VggLike();
        var fcn = Convolutionalizer.Convolutionalize(classifier, "vgg_like").Model;
        const int H = 20, W = 24, Stride = 2;
        var x = Ort.Random(3 * H * W, 7, 2f);
        var (map, shape) = Ort.Run(fcn, x, 1, 3, H, W);
        Assert.That(shape, Is.EqualTo(new long[] { 1, 5, 3, 5 }));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
            {
                var window = Ort.Crop(x, 3, H, W, Stride * i, Stride * j, 16, 16);
                var expected = Ort.Run(classifier, window, 1, 3, 16, 16).Values;
                for (int k = 0; k < 5; k++)
                    Assert.That(map[(k * 3 + i) * 5 + j], Is.EqualTo(expected[k]).Within(1e-4f), $"class {k} at ({i},{j})");
            }
    }

    [Test]
    public void Global_average_pooling_becomes_a_sliding_pool_of_the_canonical_size()
    {
        var classifier = TestClassifiers.GapLike();
        var fcn = Convolutionalizer.Convolutionalize(classifier, "gap_like").Model;
        var x = Ort.Random(3 * 12 * 12, 3, 2f);
        Assert.That(Ort.Run(fcn, x, 1, 3, 12, 12).Values, Is.EqualTo(Ort.Run(classifier, x, 1, 3, 12, 12).Values).Within(1e-4f));

        var big = Ort.Random(3 * 14 * 15, 4, 2f);
        var (map, shape) = Ort.Run(fcn, big, 1, 3, 14, 15);
        Assert.That(shape, Is.EqualTo(new long[] { 1, 4, 3, 4 }));
        var expected = Ort.Run(classifier, Ort.Crop(big, 3, 14, 15, 2, 1, 12, 12), 1, 3, 12, 12).Values;
        for (int k = 0; k < 4; k++) Assert.That(map[(k * 3 + 2) * 4 + 1], Is.EqualTo(expected[k]).Within(1e-4f));
    }

    [Test]
    public void The_result_meets_the_SegmentFcn_contract()
    {
        var fcn = Convolutionalizer.Convolutionalize(TestClassifiers.VggLike(), "vgg_like").Model;
        var contract = Fcn.MLNet.Onnx.FcnModelContract.Inspect(fcn, "fcn");
        Assert.That(contract.NumberOfClasses, Is.EqualTo(5));
        Assert.That(contract.OutputMatchesInputSize, Is.False);
    }
}
