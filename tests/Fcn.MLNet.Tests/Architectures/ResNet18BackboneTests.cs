using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.MLNet.Tests.Architectures;

/// <summary>The ImageNet ResNet18 shipped by NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18.</summary>
public class ResNet18BackboneTests
{
    [Test]
    public void Folded_dynamic_trunk_reproduces_the_original_pooled_features_at_224()
    {
        var original = OnnxModelFile.Load(Backbone.ResNet18Path);
        var backbone = Backbone.ResNet18();
        Assert.That((backbone.Stride8.Channels, backbone.Stride16.Channels, backbone.Stride32.Channels), Is.EqualTo((128, 256, 512)));
        Assert.That(backbone.Model.Graph.Node.Select(n => n.OpType), Has.None.EqualTo("BatchNormalization"));

        var x = Ort.Random(3 * 224 * 224, 5, 100f);
        var expected = Ort.Run(original, x, 1, 3, 224, 224).Values;
        var trunk = backbone.Model.Clone();
        trunk.Graph.Output.Add(OnnxGraphBuilderValueInfo(backbone.Stride32.Value));
        var (features, shape) = Ort.Run(trunk, x, 1, 3, 224, 224);
        Assert.That(shape, Is.EqualTo(new long[] { 1, 512, 7, 7 }));
        double worst = 0;
        for (int c = 0; c < 512; c++)
        {
            double mean = features.Skip(c * 49).Take(49).Average(v => (double)v);
            worst = Math.Max(worst, Math.Abs(mean - expected[c]) / (1e-3 + Math.Abs(expected[c])));
        }
        Assert.That(worst, Is.LessThan(1e-3), "relative error of the 7×7 mean against the original's pooled output");
    }

    [Test]
    public void ResNet18_fcn8s_scores_images_of_any_size_at_their_size()
    {
        var fcn = FcnHeads.Build(Backbone.ResNet18(), FcnArchitecture.Fcn8s, 11);
        foreach (var (h, w) in new[] { (224, 224), (360, 480), (97, 131) })
            Assert.That(Ort.Run(fcn, new float[3 * h * w], 1, 3, h, w).Shape, Is.EqualTo(new long[] { 1, 11, h, w }));
    }

    private static Fcn.MLNet.Onnx.Proto.ValueInfoProto OnnxGraphBuilderValueInfo(string name) =>
        OnnxGraphBuilder.ValueInfo(name, Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType.Float);
}
