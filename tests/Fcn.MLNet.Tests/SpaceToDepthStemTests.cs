using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Quantization;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests;

/// <summary>
/// The stem convolution rewritten as SpaceToDepth + a stride-1 convolution before quantization: the same outputs (in
/// float, against the original graph) at every input size, even and odd.
/// </summary>
public class SpaceToDepthStemTests
{
    [TestCase(360, 480)]
    [TestCase(361, 479)]
    public void The_ResNet18_stem_as_SpaceToDepth_scores_the_same(int height, int width)
    {
        var fcn = FcnHeads.Build(Backbone.ResNet18(), FcnArchitecture.Fcn32s, 21);
        ScoreLayers.Randomize(fcn, seed: 3, scale: 0.01f);
        var rewritten = fcn.Clone();
        var convolutions = Enumerable.Range(0, fcn.Graph.Node.Count).Where(n => fcn.Graph.Node[n].OpType == "Conv");
        Assert.That(SpaceToDepthStem.Apply(rewritten.Graph, convolutions), Is.EqualTo(1), "only the 7×7 stride-2 stem reads 3 channels");
        var stem = rewritten.Graph.Node.Single(n => n.OpType == "Conv" && n.Input[0].EndsWith("_space_to_depth", StringComparison.Ordinal));
        Assert.That(OnnxAttribute.Find(stem, "kernel_shape")!.Ints, Is.EqualTo(new long[] { 4, 4 }));

        var x = Ort.Random(3 * height * width, seed: 5, scale: 100f);
        var (before, shape) = Ort.Run(fcn, x, 1, 3, height, width);
        var (after, shape2) = Ort.Run(rewritten, x, 1, 3, height, width);
        Assert.That(shape2, Is.EqualTo(shape));
        double scale = before.Max(v => Math.Abs(v));
        Assert.That(scale, Is.GreaterThan(0));
        Assert.That(Enumerable.Range(0, before.Length).Max(i => Math.Abs(before[i] - after[i])), Is.LessThanOrEqualTo(1e-5 * scale));
    }

    [TestCase(3, 2, new long[] { 0, 1, 1, 0 }, 57, 64)]  // 3×3 stride 2, uneven pads
    [TestCase(5, 2, new long[] { 2, 2, 2, 2 }, 63, 50)]
    [TestCase(7, 3, new long[] { 3, 3, 3, 3 }, 100, 101)] // stride 3: 7 mod 3 = 1
    public void A_strided_convolution_over_few_channels_computes_the_same(int k, int s, long[] pads, int height, int width)
    {
        var model = SingleConvolution(channels: 4, k, s, pads, seed: k * 10 + s);
        var rewritten = model.Clone();
        Assert.That(SpaceToDepthStem.Apply(rewritten.Graph, new[] { 0 }), Is.EqualTo(1));
        var x = Ort.Random(4 * height * width, seed: 9);
        var (before, shape) = Ort.Run(model, x, 1, 4, height, width);
        var (after, shape2) = Ort.Run(rewritten, x, 1, 4, height, width);
        Assert.That(shape2, Is.EqualTo(shape));
        double scale = before.Max(v => Math.Abs(v));
        Assert.That(Enumerable.Range(0, before.Length).Max(i => Math.Abs(before[i] - after[i])), Is.LessThanOrEqualTo(1e-5 * scale));
    }

    [TestCase(4, 2, 3, null)]  // k mod s = 0: output sizes would differ for odd inputs
    [TestCase(7, 1, 3, null)]  // not strided
    [TestCase(7, 2, 8, null)]  // many channels: integer kernels are fast already
    [TestCase(7, 2, 3, "auto_pad")]
    [TestCase(7, 2, 3, "dilations")]
    [TestCase(7, 2, 3, "group")]
    public void Other_convolutions_are_left_alone(int k, int s, int channels, string? attribute)
    {
        var extra = attribute switch
        {
            "auto_pad" => OnnxAttribute.String("auto_pad", "SAME_UPPER"),
            "dilations" => OnnxAttribute.Ints("dilations", 2, 2),
            "group" => OnnxAttribute.Int("group", 3),
            _ => null,
        };
        var model = SingleConvolution(channels, k, s, new long[] { 1, 1, 1, 1 }, seed: 1, extra);
        Assert.That(SpaceToDepthStem.Apply(model.Graph, new[] { 0 }), Is.Zero);
    }

    private static ModelProto SingleConvolution(int channels, int k, int s, long[] pads, int seed, AttributeProto? extra = null)
    {
        var b = new OnnxGraphBuilder();
        b.AddInput("x", DataType.Float, 1, channels, "h", "w");
        string y = b.Node("Conv", new[]
        {
            "x",
            b.AddFloats("w", Ort.Random(16 * channels * k * k, seed), 16, channels, k, k),
            b.AddFloats("bias", Ort.Random(16, seed + 1), 16),
        }, new[] { OnnxAttribute.Ints("kernel_shape", k, k), OnnxAttribute.Ints("strides", s, s), OnnxAttribute.Ints("pads", pads), extra }.OfType<AttributeProto>().ToArray());
        b.AddOutput(y, DataType.Float);
        return OnnxModelFile.CreateModel(b.Graph, opset: 13);
    }
}
