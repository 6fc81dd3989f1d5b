using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Tests.Support;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests.Architectures;

/// <summary>Stride-32 classifiers small enough for tests, seeded weights, fixed 64×64 input.</summary>
internal static class TinyClassifiers
{
    /// <summary>Five stride-2 3×3 convs (pad 1) with ReLU, global average pool, one fc: a ResNet-shaped head.</summary>
    public static ModelProto ResNetShaped() => Build("tiny_resnet", b =>
    {
        string x = Trunk(b);
        x = b.Node("GlobalAveragePool", new[] { x });
        x = b.Node("Flatten", new[] { x });
        return b.NamedNode("Gemm", "fc", new[] { x, b.AddFloats("fc_w", Ort.Random(7 * 10, 50), 7, 10), b.AddFloats("fc_b", new float[7], 7) }, OnnxAttribute.Int("transB", 1));
    });

    /// <summary>The same trunk, then VGG's head: flatten, fc6 over the 2×2 map, fc7, fc8.</summary>
    public static ModelProto VggShaped() => Build("tiny_vgg", b =>
    {
        string x = b.Node("Flatten", new[] { Trunk(b) });
        x = b.Node("Relu", new[] { b.NamedNode("Gemm", "fc6", new[] { x, b.AddFloats("fc6_w", Ort.Random(16 * 40, 51), 16, 40), b.AddFloats("fc6_b", new float[16], 16) }, OnnxAttribute.Int("transB", 1)) });
        x = b.Node("Relu", new[] { b.NamedNode("Gemm", "fc7", new[] { x, b.AddFloats("fc7_w", Ort.Random(16 * 16, 52), 16, 16), b.AddFloats("fc7_b", new float[16], 16) }, OnnxAttribute.Int("transB", 1)) });
        return b.NamedNode("Gemm", "fc8", new[] { x, b.AddFloats("fc8_w", Ort.Random(5 * 16, 53), 5, 16), b.AddFloats("fc8_b", new float[5], 5) }, OnnxAttribute.Int("transB", 1));
    });

    private static string Trunk(OnnxGraphBuilder b)
    {
        string x = "data";
        int[] channels = { 3, 4, 6, 8, 8, 10 };
        for (int i = 0; i < 5; i++)
        {
            int cin = channels[i], cout = channels[i + 1];
            x = b.NamedNode("Conv", $"conv{i + 1}", new[] { x, b.AddFloats($"conv{i + 1}_w", Ort.Random(cout * cin * 9, 40 + i, 0.5f), cout, cin, 3, 3), b.AddFloats($"conv{i + 1}_b", new float[cout], cout) },
                OnnxAttribute.Ints("kernel_shape", 3, 3), OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 1, 1, 1, 1));
            x = b.Node("Relu", new[] { x });
        }
        return x;
    }

    private static ModelProto Build(string name, Func<OnnxGraphBuilder, string> body)
    {
        var b = new OnnxGraphBuilder(graphName: name);
        b.AddInput("data", DataType.Float, 1, 3, 64, 64);
        string y = body(b);
        b.AddOutput(y, DataType.Float, 1, -1);
        return OnnxModelFile.CreateModel(b.Graph, opset: 13);
    }
}
