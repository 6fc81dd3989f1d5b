using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// The ONNX side of <see cref="TestTimeAugmentation"/>: one copy of the FCN's nodes per variant (the weights are shared
/// initializers, so the model file does not grow), each fed the resized and/or mirrored image; each copy's scores are
/// resized to the image, mirrored back and turned into probabilities, and the probabilities are averaged.
/// </summary>
internal static class TestTimeAugmentationGraph
{
    /// <summary>
    /// Takes the FCN's nodes (<paramref name="fcnNodes"/>, reading <paramref name="image"/> <c>[1, 3, H, W]</c> and
    /// writing <paramref name="scores"/>) out of the graph and appends the augmented scoring; returns the averaged
    /// class probabilities <c>[1, C, H, W]</c>.
    /// </summary>
    public static string Emit(OnnxGraphBuilder b, IReadOnlyList<NodeProto> fcnNodes, string image, string scores, bool scoresMatchInputSize,
        long opset, string sizeInput, TestTimeAugmentation tta, Func<OnnxGraphBuilder, string, string> resizeToInput)
    {
        tta.Validate();
        var g = b.Graph;
        foreach (var node in fcnNodes) g.Node.Remove(node);
        var probabilities = new List<string>();
        var variants = tta.Variants;
        for (int v = 0; v < variants.Count; v++)
        {
            var (scale, mirrored) = variants[v];
            string input = image;
            if (scale != 1) input = Rescaled(b, input, scale, sizeInput, opset);
            if (mirrored) input = Mirrored(b, input, "tta_mirrored_image");
            string output = Copy(b, fcnNodes, image, input, scores, v == 0 ? null : $"tta{v}_");
            if (scale != 1 || !scoresMatchInputSize) output = resizeToInput(b, output);
            if (mirrored) output = Mirrored(b, output, "tta_unmirrored_scores");
            probabilities.Add(Softmax(b, output));
        }
        string sum = probabilities.Count == 1 ? probabilities[0] : b.Node("Sum", probabilities);
        return b.NamedNode("Mul", "tta_mean_probabilities", new[] { sum, b.AddFloats("tta_mean", new[] { 1f / probabilities.Count }, 1) });
    }

    /// <summary>
    /// Appends the FCN's nodes reading <paramref name="input"/> instead of <paramref name="image"/>; with a prefix every
    /// value they produce is renamed (a copy), without one they are appended as they are. Returns the scores' name.
    /// </summary>
    private static string Copy(OnnxGraphBuilder b, IReadOnlyList<NodeProto> nodes, string image, string input, string scores, string? prefix)
    {
        var rename = new Dictionary<string, string>(StringComparer.Ordinal) { [image] = input };
        foreach (var node in nodes)
            foreach (var output in node.Output)
                if (output.Length > 0) rename[output] = prefix is null ? output : b.UniqueName(prefix + output);
        foreach (var node in nodes)
        {
            var copy = node.Clone(); // the originals stay as they were for the next variant
            if (prefix is not null && copy.Name.Length > 0) copy.Name = b.UniqueName(prefix + copy.Name);
            Rewire(copy, rename);
            for (int i = 0; i < copy.Output.Count; i++)
                if (copy.Output[i].Length > 0) copy.Output[i] = rename[copy.Output[i]];
            b.Graph.Node.Add(copy);
        }
        return rename[scores];
    }

    /// <summary>Renames the inputs of <paramref name="node"/>, and outer-scope references inside its subgraphs (If, Loop, Scan).</summary>
    private static void Rewire(NodeProto node, IReadOnlyDictionary<string, string> rename)
    {
        for (int i = 0; i < node.Input.Count; i++)
            if (rename.TryGetValue(node.Input[i], out var to)) node.Input[i] = to;
        foreach (var attribute in node.Attribute)
        {
            if (attribute.G is { } graph) foreach (var inner in graph.Node) Rewire(inner, rename);
            foreach (var sub in attribute.Graphs) foreach (var inner in sub.Node) Rewire(inner, rename);
        }
    }

    /// <summary>The image resized by <paramref name="scale"/> (sizes rounded, at least 1), bilinear with half-pixel centres.</summary>
    private static string Rescaled(OnnxGraphBuilder b, string image, double scale, string sizeInput, long opset)
    {
        string hw = b.Node("Cast", new[] { sizeInput }, OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
        string scaled = b.Node("Mul", new[] { hw, b.AddFloats("tta_scale", new[] { (float)scale }, 1) });
        string rounded = b.Node("Floor", new[] { b.Node("Add", new[] { scaled, b.AddFloats("tta_half", new[] { 0.5f }, 1) }) });
        string atLeastOne = b.Node("Max", new[] { rounded, b.AddFloats("tta_one", new[] { 1f, 1f }, 2) });
        string size = b.Node("Cast", new[] { atLeastOne }, OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Int64));
        string sizes = b.Node("Concat", new[] { b.AddInt64s("tta_one_three", new long[] { 1, 3 }, 2), size }, OnnxAttribute.Int("axis", 0));
        return ScoreResize.Emit(b, image, sizes, opset, "tta_scaled_image");
    }

    /// <summary><c>[N, C, H, W]</c> reversed along W.</summary>
    private static string Mirrored(OnnxGraphBuilder b, string x, string name) =>
        b.NamedNode("Slice", name, new[]
        {
            x, b.AddInt64s("tta_flip_start", new long[] { -1 }, 1), b.AddInt64s("tta_flip_end", new[] { long.MinValue }, 1),
            b.AddInt64s("tta_flip_axis", new long[] { 3 }, 1), b.AddInt64s("tta_flip_step", new long[] { -1 }, 1),
        });

    /// <summary>Softmax over the class axis of <c>[N, C, H, W]</c>: through NHWC, where every opset's Softmax means the last axis.</summary>
    private static string Softmax(OnnxGraphBuilder b, string scores)
    {
        string nhwc = b.Node("Transpose", new[] { scores }, OnnxAttribute.Ints("perm", 0, 2, 3, 1));
        string p = b.Node("Softmax", new[] { nhwc }, OnnxAttribute.Int("axis", 3));
        return b.NamedNode("Transpose", "tta_probabilities", new[] { p }, OnnxAttribute.Ints("perm", 0, 3, 1, 2));
    }
}
