using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.MLNet.Tests.Architectures;

public class FcnHeadsTests
{
    private static readonly (int H, int W)[] Sizes = { (64, 64), (33, 47), (97, 131), (20, 20), (7, 9) };

    [Test]
    public void Bilinear_kernel_matches_upsample_filt()
    {
        Assert.That(BilinearKernel.Create(4).Take(4), Is.EqualTo(new[] { 0.0625f, 0.1875f, 0.1875f, 0.0625f }));   // 0.25·[.25 .75 .75 .25]
        Assert.That(BilinearKernel.Create(4)[5], Is.EqualTo(0.5625f));                                             // 0.75·0.75
        Assert.That(BilinearKernel.Create(3), Is.EqualTo(new[] { 0.25f, 0.5f, 0.25f, 0.5f, 1f, 0.5f, 0.25f, 0.5f, 0.25f }));
        var diag = BilinearKernel.Diagonal(2, 4);
        Assert.That(diag.Skip(16).Take(16), Is.All.EqualTo(0f), "channel 0 → 1 is zero");
        Assert.That(diag[5], Is.EqualTo(0.5625f));
    }

    [TestCase(FcnArchitecture.Fcn32s)]
    [TestCase(FcnArchitecture.Fcn16s)]
    [TestCase(FcnArchitecture.Fcn8s)]
    public void Every_input_size_gives_scores_of_that_size_and_zero_initial_scores(FcnArchitecture arch)
    {
        foreach (var classifier in new[] { TinyClassifiers.ResNetShaped(), TinyClassifiers.VggShaped() })
        {
            var backbone = Backbone.FromClassifier(classifier, classifier.Graph.Name, ImagePreprocessing.None);
            var fcn = FcnHeads.Build(backbone, arch, classes: 3, classNames: new[] { "a", "b", "c" });
            var contract = FcnModelContract.Inspect(fcn, "fcn");
            Assert.That(contract.OutputMatchesInputSize, "output declared with the input's H, W symbols");
            foreach (var (h, w) in Sizes)
            {
                var (scores, shape) = Ort.Run(fcn, Ort.Random(3 * h * w, h * w), 1, 3, h, w);
                Assert.That(shape, Is.EqualTo(new long[] { 1, 3, h, w }), $"{classifier.Graph.Name} {arch} at {h}x{w}");
                Assert.That(scores, Is.All.EqualTo(0f), "score layers start at zero");
            }
        }
    }

    [Test]
    public void Backbones_find_the_stride_8_16_32_maps_and_pad_only_for_a_kernel_fc6()
    {
        var resnet = Backbone.FromClassifier(TinyClassifiers.ResNetShaped(), "r", ImagePreprocessing.None);
        Assert.That((resnet.Stride8.Channels, resnet.Stride16.Channels, resnet.Stride32.Channels), Is.EqualTo((8, 8, 10)));
        Assert.That(resnet.InputPadding, Is.Zero);
        var vgg = Backbone.FromClassifier(TinyClassifiers.VggShaped(), "v", ImagePreprocessing.None);
        Assert.That(vgg.Stride32.Channels, Is.EqualTo(16), "fc7 (as a convolution) is the stride-32 feature map");
        Assert.That(vgg.InputPadding, Is.EqualTo(100));
    }

    [Test]
    public void Final_upsampling_is_frozen_and_intermediate_ones_learned()
    {
        var backbone = Backbone.FromClassifier(TinyClassifiers.ResNetShaped(), "r", ImagePreprocessing.None);
        var fcn8 = FcnHeads.Build(backbone, FcnArchitecture.Fcn8s, 4);
        Assert.That(FcnHeads.FrozenParameters(fcn8), Is.EqualTo(new[] { "upscore8.weight" }));
        Assert.That(FcnHeads.FrozenParameters(FcnHeads.Build(backbone, FcnArchitecture.Fcn8s, 4, learnFinalUpsampling: true)), Is.Empty);
        var names = fcn8.Graph.Node.Select(n => n.Output[0]).ToList();
        Assert.That(names, Does.Contain("score_fr").And.Contain("upscore2").And.Contain("score_pool4").And.Contain("fuse_pool4")
            .And.Contain("upscore_pool4").And.Contain("score_pool3").And.Contain("fuse_pool3").And.Contain("upscore8").And.Contain("score"));
    }

    [Test]
    public void Transplant_initialises_16s_from_32s_and_leaves_new_skip_layers_at_zero()
    {
        var backbone = Backbone.FromClassifier(TinyClassifiers.ResNetShaped(), "r", ImagePreprocessing.None);
        var fcn32 = FcnHeads.Build(backbone, FcnArchitecture.Fcn32s, 3);
        int at = fcn32.Graph.Initializer.IndexOf(fcn32.Graph.Initializer.First(t => t.Name == "score_fr.weight"));
        var old = fcn32.Graph.Initializer[at];
        fcn32.Graph.Initializer[at] = OnnxTensor.Float("score_fr.weight", Enumerable.Repeat(0.5f, (int)OnnxTensor.ElementCount(old)).ToArray(), old.Dims.ToArray());
        var fcn16 = FcnHeads.Build(backbone, FcnArchitecture.Fcn16s, 3);
        var copied = FcnHeads.Transplant(fcn32, fcn16);
        Assert.That(copied, Does.Contain("score_fr.weight").And.Not.Contain("score_pool4.weight").And.Not.Contain("upscore.weight"));
        Assert.That(OnnxTensor.ReadFloats(fcn16.Graph.Initializer.First(t => t.Name == "score_fr.weight")), Is.All.EqualTo(0.5f));
        Assert.That(OnnxTensor.ReadFloats(fcn16.Graph.Initializer.First(t => t.Name == "score_pool4.weight")), Is.All.EqualTo(0f));
        Assert.That(copied, Does.Not.Contain("score.starts"), "crop offsets are geometry, not parameters");
        Assert.That(Ort.Run(fcn16, new float[3 * 36 * 44], 1, 3, 36, 44).Shape, Is.EqualTo(new long[] { 1, 3, 36, 44 }));
    }
}

public class CoarseScoresTests
{
    [Test]
    public void Coarse_scores_are_score_fr_at_stride_32_and_work_with_shift_and_stitch()
    {
        var backbone = Backbone.FromClassifier(TinyClassifiers.ResNetShaped(), "r", ImagePreprocessing.None);
        var coarse = FcnHeads.CoarseScores(FcnHeads.Build(backbone, FcnArchitecture.Fcn32s, 3));
        Assert.That(coarse.Graph.Node.Select(n => n.OpType), Has.None.EqualTo("ConvTranspose"));
        Assert.That(Ort.Run(coarse, new float[3 * 64 * 96], 1, 3, 64, 96).Shape, Is.EqualTo(new long[] { 1, 3, 2, 3 }));
        var contract = FcnModelContract.Inspect(coarse, "coarse");
        Assert.That(contract.OutputMatchesInputSize, Is.False);
        var ml = new Microsoft.ML.MLContext();
        var data = TestImage.ToDataView(ml, new[] { TestImage.Random(96, 64, 1) });
        var map = Microsoft.ML.Data.ColumnCursorExtensions.GetColumn<int[]>(
            ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = Google.Protobuf.MessageExtensions.ToByteArray(coarse), ShiftAndStitch = (32, 2) })
                .Fit(data).Transform(data), "Segmentation").Single();
        Assert.That(map, Has.Length.EqualTo(96 * 64));
    }
}
