using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Architectures;

/// <summary>
/// Where each feature-map pixel sits in the input image, as Caffe's <c>coord_map</c> computes it: index i of a value
/// has its receptive-field centre at image coordinate <c>Scale·i + Offset</c> (pixel centres at integers).
/// A convolution or pooling (kernel k, stride s, leading pad p, dilation d) maps i to <c>s·i − p + d(k−1)/2</c> of
/// its input; a transposed convolution inverts that; a Pad shifts by its leading pad; element-wise ops keep the map
/// of their first input. Crops that align two maps of the same scale start at <c>(Offset_ref − Offset_x)/Scale</c>.
/// </summary>
public readonly record struct CoordinateMap(double Scale, double Offset)
{
    /// <summary>The image itself.</summary>
    public static CoordinateMap Identity { get; } = new(1, 0);

    /// <summary>Maps of every value reachable from <paramref name="input"/> (height axis; FCN kernels are square).</summary>
    public static Dictionary<string, CoordinateMap> Compute(GraphProto graph, string input)
    {
        var maps = new Dictionary<string, CoordinateMap>(StringComparer.Ordinal) { [input] = Identity };
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        foreach (var node in graph.Node)
        {
            if (node.Input.Count == 0 || !maps.TryGetValue(node.Input[0], out var m)) continue;
            var map = node.OpType switch
            {
                "Conv" or "MaxPool" or "AveragePool" => Forward(node, m, initializers, graph),
                "ConvTranspose" => Backward(node, m, initializers, graph),
                "Pad" => m with { Offset = m.Offset - m.Scale * LeadingPad(node, graph) },
                "Slice" => m with { Offset = m.Offset + m.Scale * SliceStart(node, graph) },
                _ => m,
            };
            foreach (var o in node.Output) maps[o] = map;
        }
        return maps;
    }

    /// <summary>The integer crop offset that aligns <paramref name="x"/> to <paramref name="reference"/>.</summary>
    public static int CropOffset(CoordinateMap x, CoordinateMap reference)
    {
        if (Math.Abs(x.Scale - reference.Scale) > 1e-9)
            throw new InvalidOperationException($"Cannot align maps of scale {x.Scale} and {reference.Scale} by cropping.");
        double offset = (reference.Offset - x.Offset) / x.Scale;
        int rounded = (int)Math.Round(offset);
        if (Math.Abs(offset - rounded) > 1e-6)
            throw new InvalidOperationException($"Maps are {offset} pixels apart: not a whole-pixel crop.");
        if (rounded < 0) throw new InvalidOperationException($"Alignment needs a negative crop ({offset}); pad the input.");
        return rounded;
    }

    private static CoordinateMap Forward(NodeProto node, CoordinateMap m, HashSet<string> initializers, GraphProto graph)
    {
        var (k, s, p, d) = Geometry(node, graph);
        return new CoordinateMap(m.Scale * s, m.Offset + m.Scale * (d * (k - 1) / 2.0 - p));
    }

    private static CoordinateMap Backward(NodeProto node, CoordinateMap m, HashSet<string> initializers, GraphProto graph)
    {
        var (k, s, p, d) = Geometry(node, graph);
        // output o ↔ input (o + p − d(k−1)/2) / s
        return new CoordinateMap(m.Scale / s, m.Offset + m.Scale * (p - d * (k - 1) / 2.0) / s);
    }

    private static (long Kernel, long Stride, long Pad, long Dilation) Geometry(NodeProto node, GraphProto graph)
    {
        long k = OnnxAttribute.Find(node, "kernel_shape")?.Ints[0] ?? KernelFromWeights(node, graph);
        long s = OnnxAttribute.Find(node, "strides")?.Ints.FirstOrDefault() ?? 1;
        long p = OnnxAttribute.Find(node, "pads")?.Ints.FirstOrDefault() ?? 0;
        long d = OnnxAttribute.Find(node, "dilations")?.Ints.FirstOrDefault() ?? 1;
        if (OnnxAttribute.Find(node, "auto_pad") is { } ap && ap.S.ToStringUtf8() is not ("NOTSET" or ""))
            throw new NotSupportedException($"Node '{node.Name}' uses auto_pad={ap.S.ToStringUtf8()}; explicit pads are needed to align maps.");
        return (k, s, p, d);
    }

    private static long KernelFromWeights(NodeProto node, GraphProto graph) =>
        graph.Initializer.FirstOrDefault(t => node.Input.Count > 1 && t.Name == node.Input[1])?.Dims[2]
        ?? throw new NotSupportedException($"Node '{node.Name}' has no kernel_shape and no initializer weights.");

    private static long LeadingPad(NodeProto node, GraphProto graph)
    {
        var pads = graph.Initializer.FirstOrDefault(t => node.Input.Count > 1 && t.Name == node.Input[1])
            ?? throw new NotSupportedException($"Pad '{node.Name}' needs constant pads.");
        return OnnxTensor.ReadInt64s(pads)[2]; // [n, c, h, w] begins: the height's
    }

    private static long SliceStart(NodeProto node, GraphProto graph)
    {
        var starts = graph.Initializer.FirstOrDefault(t => node.Input.Count > 1 && t.Name == node.Input[1]);
        return starts is null ? 0 : OnnxTensor.ReadInt64s(starts)[0];
    }
}
