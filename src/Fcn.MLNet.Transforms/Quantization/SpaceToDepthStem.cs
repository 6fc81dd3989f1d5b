using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Quantization;

/// <summary>
/// Rewrites a strided convolution over few channels (the stem that reads the image: ResNet's 7×7 stride-2 conv on 3
/// channels) as SpaceToDepth followed by a stride-1 convolution over s² times the channels, before it is quantized.
/// ONNX Runtime's integer convolution is slow with 3 input channels (the ResNet18 stem took 9–12 ms of a 37 ms int8
/// FCN-8s at 480×360, where the same arithmetic over 12 channels takes 3 ms).
/// <para>
/// The arithmetic is the same: with the input zero-padded as before (plus up to s − 1 zero rows and columns at the end
/// so that its sides divide by s), tap (i, j) of channel c reads block (⌊i/s⌋, ⌊j/s⌋), channel (i mod s, j mod s, c)
/// of SpaceToDepth's output; the kernel grows to ⌈k/s⌉·s with zero taps. Output sizes agree for every input size when
/// k mod s = 1 (7 and 3 for stride 2), which is required.
/// </para>
/// </summary>
internal static class SpaceToDepthStem
{
    /// <summary>Convolutions with at most this many input channels are rewritten.</summary>
    public const int MaximumInputChannels = 4;

    /// <summary>
    /// Rewrites the qualifying convolutions among <paramref name="convolutions"/> (node positions) in place; returns
    /// how many. Positions of later nodes shift.
    /// </summary>
    public static int Apply(GraphProto graph, IEnumerable<int> convolutions)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var b = new OnnxGraphBuilder(graph);
        int rewritten = 0;
        foreach (int n in convolutions.OrderDescending()) // later positions first, so earlier ones stay valid
        {
            var conv = graph.Node[n];
            if (!Qualifies(conv, initializers, out int s)) continue;
            int before = graph.Node.Count;
            string blocks = EmitSpaceToDepth(b, conv, s);
            var added = graph.Node.Skip(before).ToList();
            while (graph.Node.Count > before) graph.Node.RemoveAt(graph.Node.Count - 1);
            for (int i = 0; i < added.Count; i++) graph.Node.Insert(n + i, added[i]);

            var weight = initializers[conv.Input[1]];
            conv.Input[0] = blocks;
            conv.Input[1] = b.AddInitializer(Rearrange(weight, s, weight.Name + "_space_to_depth"));
            if (graph.Node.All(node => !node.Input.Contains(weight.Name))) graph.Initializer.Remove(weight);
            foreach (var name in new[] { "kernel_shape", "strides", "pads", "dilations", "auto_pad" })
                if (OnnxAttribute.Find(conv, name) is { } attribute) conv.Attribute.Remove(attribute);
            conv.Attribute.Add(OnnxAttribute.Ints("kernel_shape", (weight.Dims[2] + s - 1) / s, (weight.Dims[3] + s - 1) / s));
            conv.Attribute.Add(OnnxAttribute.Ints("strides", 1, 1));
            rewritten++;
        }
        return rewritten;
    }

    /// <summary>2-D, one group, no dilation, explicit pads, equal strides s ≥ 2, k mod s = 1, few input channels.</summary>
    private static bool Qualifies(NodeProto conv, IReadOnlyDictionary<string, TensorProto> initializers, out int stride)
    {
        stride = 0;
        if (conv.OpType != "Conv" || conv.Input.Count < 2 || !initializers.TryGetValue(conv.Input[1], out var weight)) return false;
        if (weight.Dims.Count != 4 || weight.Dims[1] > MaximumInputChannels || weight.DataType != (int)TensorProto.Types.DataType.Float) return false;
        if (OnnxAttribute.Find(conv, "group") is { I: not 1 }) return false;
        if (OnnxAttribute.Find(conv, "auto_pad") is { } autoPad && autoPad.S.ToStringUtf8() is not ("" or "NOTSET")) return false;
        if (OnnxAttribute.Find(conv, "dilations") is { } dilations && dilations.Ints.Any(d => d != 1)) return false;
        if (OnnxAttribute.Find(conv, "strides") is not { Ints.Count: 2 } strides || strides.Ints[0] != strides.Ints[1] || strides.Ints[0] < 2) return false;
        int s = (int)strides.Ints[0];
        if (weight.Dims[2] % s != 1 || weight.Dims[3] % s != 1) return false;
        stride = s;
        return true;
    }

    /// <summary>
    /// Pad (the convolution's pads, plus zeros at the end up to a multiple of s) and SpaceToDepth of the convolution's
    /// input; returns the blocks' name.
    /// </summary>
    private static string EmitSpaceToDepth(OnnxGraphBuilder b, NodeProto conv, int s)
    {
        var pads = OnnxAttribute.Find(conv, "pads")?.Ints.ToArray() ?? new long[4]; // top, left, bottom, right
        string x = conv.Input[0];
        string sides = b.Node("Slice", new[] { b.Node("Shape", new[] { x }), b.AddInt64s("stem_hw_start", new long[] { 2 }, 1), b.AddInt64s("stem_hw_end", new long[] { 4 }, 1) });
        string padded = b.Node("Add", new[] { sides, b.AddInt64s("stem_pad_sum", new long[] { pads[0] + pads[2], pads[1] + pads[3] }, 2) });
        string block = b.AddInt64s("stem_block", new long[] { s }, 1);
        string extra = b.Node("Mod", new[] { b.Node("Sub", new[] { block, b.Node("Mod", new[] { padded, block }) }), block }); // (s − L mod s) mod s
        string ends = b.Node("Add", new[] { extra, b.AddInt64s("stem_pad_end", new long[] { pads[2], pads[3] }, 2) });
        string allPads = b.Node("Concat", new[] { b.AddInt64s("stem_pad_begin", new long[] { 0, 0, pads[0], pads[1] }, 4), b.AddInt64s("stem_pad_nc_end", new long[] { 0, 0 }, 2), ends },
            OnnxAttribute.Int("axis", 0));
        string input = b.Node("Pad", new[] { x, allPads });
        return b.NamedNode("SpaceToDepth", x + "_space_to_depth", new[] { input }, OnnxAttribute.Int("blocksize", s));
    }

    /// <summary>
    /// The weight [O, C, kh, kw] as [O, s²·C, ⌈kh/s⌉, ⌈kw/s⌉]: tap (i, j) of channel c goes to channel (i mod s, j mod s, c)
    /// (SpaceToDepth's order: row offset, column offset, channel), position (⌊i/s⌋, ⌊j/s⌋); the added taps are zero.
    /// </summary>
    private static TensorProto Rearrange(TensorProto weight, int s, string name)
    {
        var w = OnnxTensor.ReadFloats(weight);
        int o = (int)weight.Dims[0], c = (int)weight.Dims[1], kh = (int)weight.Dims[2], kw = (int)weight.Dims[3];
        int bh = (kh + s - 1) / s, bw = (kw + s - 1) / s, channels = s * s * c;
        var result = new float[o * channels * bh * bw];
        for (int k = 0; k < o; k++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < kh; i++)
                    for (int j = 0; j < kw; j++)
                    {
                        int channel = ((i % s) * s + j % s) * c + ch;
                        result[((k * channels + channel) * bh + i / s) * bw + j / s] = w[((k * c + ch) * kh + i) * kw + j];
                    }
        return OnnxTensor.Float(name, result, o, channels, bh, bw);
    }
}
