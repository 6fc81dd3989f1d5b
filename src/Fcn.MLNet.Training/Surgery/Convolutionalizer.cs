using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>A classifier made fully convolutional.</summary>
/// <param name="Model">The FCN: dynamic input, output <c>[1, classes, h, w]</c>.</param>
/// <param name="Canonical">The classifier's own input size.</param>
/// <param name="TrunkEnd">The last value before the classifier head (the stride-32 feature map of the trunk).</param>
/// <param name="FullyConnected">Output names of the convolutionalized fc layers, in order (the last is the classifier).</param>
/// <param name="Classes">Number of classes of the final layer.</param>
public sealed record ConvolutionalizedModel(ModelProto Model, (int Height, int Width) Canonical, string TrunkEnd,
    IReadOnlyList<string> FullyConnected, int Classes);

/// <summary>
/// Convolutionalization (paper 3.1): a classifier's fully connected layers are convolutions whose kernels cover
/// their whole input. The first fc layer after the flatten becomes an s×s convolution with the same weights
/// reshaped to <c>[out, C, s, s]</c> (s = the spatial size it saw at the canonical input), later ones 1×1
/// convolutions; a global average pooling becomes an s×s average pooling with stride 1; an average pooling that
/// only reshapes at the canonical size (torchvision's adaptive pooling, kernel 1) is removed. On the canonical input
/// the result reproduces the classifier's scores; on a larger one it gives a score map.
/// </summary>
public static class Convolutionalizer
{
    private static readonly HashSet<string> HeadElementwise = new(StringComparer.Ordinal) { "Relu", "LeakyRelu", "Sigmoid", "Dropout", "Identity", "Softmax" };

    /// <summary>Convolutionalizes <paramref name="classifier"/>; <paramref name="source"/> names it in errors.</summary>
    public static ConvolutionalizedModel Convolutionalize(ModelProto classifier, string source, (int Height, int Width)? canonicalSize = null)
    {
        var model = classifier.Clone();
        OpsetUpgrade.Upgrade(model);
        var canonical = DynamicInput.Apply(model) ?? canonicalSize
            ?? throw new InvalidDataException($"{source}: the input size is already dynamic; give the classifier's canonical input size.");
        BatchNormFolding.Fold(model);
        SymmetricPadding.Apply(model);
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        string input = graph.Input.First(i => !index.Initializers.ContainsKey(i.Name)).Name;

        var flatten = graph.Node.FirstOrDefault(n => n.OpType is "Flatten" or "Reshape" && LeadsToHead(index, n))
            ?? throw new InvalidDataException($"{source}: no Flatten/Reshape followed by fully connected layers found; is this an image classifier?");
        string flatIn = flatten.Input[0];
        index.Producers.TryGetValue(flatIn, out var pool);
        bool global = pool?.OpType is "GlobalAveragePool";
        bool identityPool = pool?.OpType is "AveragePool" && KernelIs(pool, 1) && StrideIs(pool, 1);
        string trunkEnd = global || identityPool ? pool!.Input[0] : flatIn;

        var shapes = Autodiff.ShapeProbe.Run(model, input, new long[] { 1, InputChannels(graph, input), canonical.Height, canonical.Width });
        var fcInShape = shapes.Shape(flatIn);
        if (fcInShape.Length != 4)
            throw new InvalidDataException($"{source}: the flattened value '{flatIn}' has rank {fcInShape.Length}; expected a [1, C, s, s] feature map.");

        var builder = new OnnxGraphBuilder(graph);
        string x = flatIn;
        long channels = fcInShape[1], kh = fcInShape[2], kw = fcInShape[3];
        if (global)
        {
            var t = shapes.Shape(trunkEnd);
            var sliding = new NodeProto { OpType = "AveragePool", Name = builder.UniqueName(pool!.Name + "_sliding"), Input = { trunkEnd }, Output = { pool.Output[0] } };
            sliding.Attribute.Add(OnnxAttribute.Ints("kernel_shape", t[2], t[3]));
            sliding.Attribute.Add(OnnxAttribute.Ints("strides", 1, 1));
            graph.Node[graph.Node.IndexOf(pool)] = sliding;
            kh = kw = 1;
        }
        else if (identityPool)
        {
            graph.Node.Remove(pool!);
            x = trunkEnd;
        }

        // Remove the flatten; walk the head, turning each Gemm into a Conv that writes the same output name.
        graph.Node.Remove(flatten);
        var fcs = new List<string>();
        int classes = 0;
        string current = flatten.Output[0];
        string feed = x;
        while (true)
        {
            var next = index.ConsumersOf(current).SingleOrDefault();
            if (next is null) break;
            if (next.OpType == "Gemm")
            {
                var conv = GemmToConv(next, index, builder, feed, channels, kh, kw, source, out classes);
                graph.Node[graph.Node.IndexOf(next)] = conv;
                fcs.Add(conv.Output[0]);
                channels = classes;
                kh = kw = 1;
            }
            else if (next.OpType == "Softmax")
            {
                next.Input[0] = feed;
                next.Attribute.Clear();
                next.Attribute.Add(OnnxAttribute.Int("axis", 1));
            }
            else
            {
                next.Input[0] = feed;
            }
            current = next.Output[0];
            feed = current;
        }
        if (fcs.Count == 0) throw new InvalidDataException($"{source}: no fully connected (Gemm) layer after the flatten.");

        graph.Output.Clear();
        graph.Output.Add(OnnxGraphBuilder.ValueInfo(current, DataType.Float, 1, classes, "score_height", "score_width"));
        GraphIndex.RemoveUnusedInitializers(graph);
        return new ConvolutionalizedModel(model, canonical, trunkEnd, fcs, classes);
    }

    private static NodeProto GemmToConv(NodeProto gemm, GraphIndex index, OnnxGraphBuilder builder, string input,
        long channels, long kh, long kw, string source, out int outputs)
    {
        if (OnnxAttribute.Find(gemm, "transA")?.I is 1)
            throw new InvalidDataException($"{source}: Gemm '{gemm.Name}' has transA=1; expected activations × weights.");
        if (!index.Initializers.TryGetValue(gemm.Input[1], out var weightTensor))
            throw new InvalidDataException($"{source}: Gemm '{gemm.Name}' weights '{gemm.Input[1]}' are not an initializer.");
        float alpha = OnnxAttribute.Find(gemm, "alpha")?.F ?? 1f, beta = OnnxAttribute.Find(gemm, "beta")?.F ?? 1f;
        bool transB = OnnxAttribute.Find(gemm, "transB")?.I is 1;
        var w = OnnxTensor.ReadFloats(weightTensor);
        long rows = weightTensor.Dims[0], cols = weightTensor.Dims[1];
        long outCount = transB ? rows : cols, inCount = transB ? cols : rows;
        if (inCount != channels * kh * kw)
            throw new InvalidDataException($"{source}: Gemm '{gemm.Name}' takes {inCount} inputs but the feature map has {channels}×{kh}×{kw}.");
        // Conv weight [out, C, kh, kw] in the flatten order of NCHW (C, then rows, then columns): row o of Wᵀ.
        var convW = new float[w.Length];
        for (long o = 0; o < outCount; o++)
            for (long i = 0; i < inCount; i++)
                convW[o * inCount + i] = alpha * (transB ? w[o * inCount + i] : w[i * outCount + o]);
        var bias = new float[outCount];
        if (gemm.Input.Count > 2 && gemm.Input[2].Length > 0)
        {
            var c = OnnxTensor.ReadFloats(index.Initializers.TryGetValue(gemm.Input[2], out var bt) ? bt
                : throw new InvalidDataException($"{source}: Gemm '{gemm.Name}' bias is not an initializer."));
            if (c.Length != outCount) throw new InvalidDataException($"{source}: Gemm '{gemm.Name}' bias has {c.Length} values, expected {outCount}.");
            for (int o = 0; o < outCount; o++) bias[o] = beta * c[o];
        }
        outputs = checked((int)outCount);
        string name = gemm.HasName && gemm.Name.Length > 0 ? gemm.Name : gemm.Output[0];
        var conv = new NodeProto { OpType = "Conv", Name = name + "_conv", Output = { gemm.Output[0] } };
        conv.Input.Add(input);
        conv.Input.Add(builder.AddFloats(name + ".conv_weight", convW, outCount, channels, kh, kw));
        conv.Input.Add(builder.AddFloats(name + ".conv_bias", bias, outCount));
        conv.Attribute.Add(OnnxAttribute.Ints("kernel_shape", kh, kw));
        return conv;
    }

    private static bool LeadsToHead(GraphIndex index, NodeProto flatten)
    {
        string v = flatten.Output[0];
        bool sawGemm = false;
        while (index.ConsumersOf(v) is { Count: 1 } consumers)
        {
            var n = consumers[0];
            if (n.OpType == "Gemm") sawGemm = true;
            else if (!HeadElementwise.Contains(n.OpType)) return false;
            v = n.Output[0];
        }
        return sawGemm && index.IsGraphOutput(v);
    }

    private static long InputChannels(GraphProto graph, string input) =>
        graph.Input.First(i => i.Name == input).Type.TensorType.Shape.Dim[1] is { ValueCase: TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue } d ? d.DimValue : 3;

    private static bool KernelIs(NodeProto n, long k) => OnnxAttribute.Find(n, "kernel_shape")?.Ints.All(v => v == k) ?? false;

    private static bool StrideIs(NodeProto n, long s) => OnnxAttribute.Find(n, "strides")?.Ints.All(v => v == s) ?? true;
}
