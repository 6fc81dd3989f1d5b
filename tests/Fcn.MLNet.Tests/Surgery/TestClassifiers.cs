using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Tests.Support;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests.Surgery;

/// <summary>Small image classifiers with fixed input size, built in code with seeded weights.</summary>
internal static class TestClassifiers
{
    /// <summary>
    /// VGG-like at opset 8: conv3×3 (valid) → BN(spatial=1) → ReLU → maxpool 2/2 → flatten → fc6 (Gemm, transB=1)
    /// → ReLU → Dropout(ratio attribute) → fc7 (Gemm, transB=0, alpha 0.5, beta 2). Input 3×16×16, 5 classes.
    /// </summary>
    public static ModelProto VggLike()
    {
        var b = new OnnxGraphBuilder(graphName: "vgg_like");
        b.AddInput("data", DataType.Float, 1, 3, 16, 16);
        string x = b.NamedNode("Conv", "conv1", new[] { "data", b.AddFloats("conv1_w", Ort.Random(4 * 3 * 9, 1, 0.5f), 4, 3, 3, 3), b.AddFloats("conv1_b", Ort.Random(4, 2), 4) },
            OnnxAttribute.Ints("kernel_shape", 3, 3));
        var gamma = Ort.Random(4, 3).Select(v => 1 + v / 2).ToArray();
        var variance = Ort.Random(4, 4).Select(v => 1.5f + v).ToArray();
        x = b.NamedNode("BatchNormalization", "bn1", new[] { x, b.AddFloats("bn_g", gamma, 4), b.AddFloats("bn_b", Ort.Random(4, 5), 4), b.AddFloats("bn_m", Ort.Random(4, 6), 4), b.AddFloats("bn_v", variance, 4) },
            OnnxAttribute.Int("spatial", 1), OnnxAttribute.Float("epsilon", 1e-5f));
        x = b.Node("Relu", new[] { x });
        x = b.NamedNode("MaxPool", "pool1", new[] { x }, OnnxAttribute.Ints("kernel_shape", 2, 2), OnnxAttribute.Ints("strides", 2, 2));
        x = b.NamedNode("Flatten", "flat", new[] { x }, OnnxAttribute.Int("axis", 1));
        x = b.NamedNode("Gemm", "fc6", new[] { x, b.AddFloats("fc6_w", Ort.Random(8 * 196, 7, 0.2f), 8, 196), b.AddFloats("fc6_b", Ort.Random(8, 8), 8) },
            OnnxAttribute.Int("transB", 1));
        x = b.Node("Relu", new[] { x });
        x = b.NamedNode("Dropout", "drop6", new[] { x }, OnnxAttribute.Float("ratio", 0.5f));
        x = b.NamedNode("Gemm", "fc7", new[] { x, b.AddFloats("fc7_w", Ort.Random(8 * 5, 9), 8, 5), b.AddFloats("fc7_b", Ort.Random(5, 10), 5) },
            OnnxAttribute.Float("alpha", 0.5f), OnnxAttribute.Float("beta", 2f));
        b.AddOutput(x, DataType.Float, 1, 5);
        return OnnxModelFile.CreateModel(b.Graph, opset: 8);
    }

    /// <summary>ResNet-like: conv3×3 (valid) → ReLU → global average pool → flatten → fc. Input 3×12×12, 4 classes, opset 13.</summary>
    public static ModelProto GapLike()
    {
        var b = new OnnxGraphBuilder(graphName: "gap_like");
        b.AddInput("data", DataType.Float, 1, 3, 12, 12);
        string x = b.NamedNode("Conv", "conv1", new[] { "data", b.AddFloats("w", Ort.Random(6 * 27, 11, 0.5f), 6, 3, 3, 3) }, OnnxAttribute.Ints("kernel_shape", 3, 3));
        x = b.Node("Relu", new[] { x });
        x = b.Node("GlobalAveragePool", new[] { x });
        x = b.Node("Flatten", new[] { x });
        x = b.NamedNode("Gemm", "fc", new[] { x, b.AddFloats("fc_w", Ort.Random(24, 12), 4, 6), b.AddFloats("fc_b", Ort.Random(4, 13), 4) }, OnnxAttribute.Int("transB", 1));
        b.AddOutput(x, DataType.Float, 1, 4);
        return OnnxModelFile.CreateModel(b.Graph, opset: 13);
    }
}
