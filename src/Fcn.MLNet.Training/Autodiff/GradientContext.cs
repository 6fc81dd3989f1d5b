using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// What a backward rule sees while the gradient graph is built: the builder that appends nodes to the training
/// graph, the static facts of the forward values, which values need a gradient, and the gradients accumulated so
/// far. Rules read <see cref="OutputGradient"/> and call <see cref="Accumulate"/> for each differentiable input.
/// </summary>
internal sealed class GradientContext
{
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _needsGradient;

    public GradientContext(OnnxGraphBuilder builder, ValueFacts facts, HashSet<string> needsGradient, GradientGraphOptions options)
    {
        B = builder;
        Facts = facts;
        _needsGradient = needsGradient;
        Options = options;
    }

    public OnnxGraphBuilder B { get; }

    public ValueFacts Facts { get; }

    public GradientGraphOptions Options { get; }

    public bool NeedsGradient(string value) => value.Length > 0 && _needsGradient.Contains(value);

    public long[] Shape(string value) => Facts.Shape(value);

    /// <summary>Adds <paramref name="gradient"/> to the gradient of <paramref name="value"/> (if it needs one).</summary>
    public void Accumulate(string value, string gradient)
    {
        if (!NeedsGradient(value)) return;
        if (!_contributions.TryGetValue(value, out var list)) _contributions[value] = list = new List<string>();
        list.Add(gradient);
    }

    /// <summary>True when some gradient has reached <paramref name="value"/>.</summary>
    public bool HasGradient(string value) => _contributions.TryGetValue(value, out var list) && list.Count > 0;

    /// <summary>The total gradient of a value (summing its contributions once), or null if nothing reached it.</summary>
    public string? GradientOf(string value)
    {
        if (!_contributions.TryGetValue(value, out var list) || list.Count == 0) return null;
        if (list.Count > 1)
        {
            string sum = B.NamedNode("Sum", Hint(value) + "_grad", list);
            list.Clear();
            list.Add(sum);
        }
        return list[0];
    }

    /// <summary>The gradient of output <paramref name="index"/> of <paramref name="node"/>, or null.</summary>
    public string? OutputGradient(NodeProto node, int index = 0) =>
        index < node.Output.Count && node.Output[index].Length > 0 ? GradientOf(node.Output[index]) : null;

    /// <summary>The error for a node that cannot be differentiated as it is configured.</summary>
    public static UnsupportedOperatorException Unsupported(NodeProto node, string detail) =>
        new(node.OpType, NodeName(node), detail);

    public static string NodeName(NodeProto node) => node.Name is { Length: > 0 } n ? n : node.Output.FirstOrDefault() ?? "?";

    /// <summary>Integer contents of input <paramref name="index"/>, or null when the input is absent.</summary>
    public long[]? OptionalInts(NodeProto node, int index)
    {
        if (index >= node.Input.Count || node.Input[index].Length == 0) return null;
        return Facts.Ints(node.Input[index])
            ?? throw Unsupported(node, $"input {index} ('{node.Input[index]}') must be a constant or computed from shapes");
    }

    /// <summary>Float contents of input <paramref name="index"/>, or null when the input is absent or empty.</summary>
    public float[]? OptionalFloats(NodeProto node, int index)
    {
        if (index >= node.Input.Count || node.Input[index].Length == 0) return null;
        if (Facts.HasShape(node.Input[index]) && Facts.Shape(node.Input[index]).Aggregate(1L, (a, d) => a * d) == 0)
            return Array.Empty<float>();
        return Facts.Floats(node.Input[index])
            ?? throw Unsupported(node, $"input {index} ('{node.Input[index]}') must be a constant");
    }

    // ---- emitters -------------------------------------------------------------------------------------------

    public string Op(string opType, string hint, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        B.NamedNode(opType, Hint(hint), inputs, attributes);

    /// <summary>A 1-D int64 constant, shared between rules that need the same values.</summary>
    public string Int64s(params long[] values) =>
        Shared("i64:" + string.Join(",", values), () => B.AddInt64s("const_i64", values, values.Length));

    /// <summary>A scalar int64 constant.</summary>
    public string ScalarInt64(long value) =>
        Shared("s64:" + value, () => B.AddInitializer(OnnxTensor.Int64("const_s64", new[] { value })));

    /// <summary>A scalar float constant.</summary>
    public string ScalarFloat(float value) =>
        Shared("f32:" + BitConverter.SingleToInt32Bits(value), () => B.AddInitializer(OnnxTensor.Float("const_f32", new[] { value })));

    /// <summary>A float constant of the given shape (not shared).</summary>
    public string Floats(string hint, float[] values, params long[] dims) => B.AddFloats(Hint(hint), values, dims);

    /// <summary>A constant shared by key, created once by <paramref name="create"/>.</summary>
    public string Shared(string key, Func<string> create)
    {
        if (!_constants.TryGetValue(key, out var name)) _constants[key] = name = create();
        return name;
    }

    public string Reshape(string x, params long[] shape) => Op("Reshape", x + "_r", new[] { x, Int64s(shape) });

    /// <summary>
    /// Σ over <paramref name="axes"/>, one axis at a time from the last: ONNX Runtime's ReduceSum accumulates a
    /// multi-axis reduction in one float32 running sum, whose rounding error grows with the count (about 1e-4 relative
    /// over a 480×360 image, enough to pull training away from PyTorch's cascaded sums within a few steps); summing
    /// W values, then H partial sums, then N keeps each running sum short.
    /// </summary>
    public string ReduceSum(string x, long[] axes, bool keepDims)
    {
        var order = axes.Distinct().OrderByDescending(a => a).ToArray();
        string sum = x;
        foreach (long axis in order) // descending, so dropping an axis never renumbers the ones still to reduce
            sum = Op("ReduceSum", x + "_sum", new[] { sum, Int64s(axis) }, OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));
        return sum;
    }

    public string Mul(string a, string b) => Op("Mul", a + "_mul", new[] { a, b });

    /// <summary>A float tensor of zeros of the given shape, built at run time (no initializer memory).</summary>
    public string Zeros(long[] shape) =>
        Op("ConstantOfShape", "zeros", new[] { Int64s(shape) }, OnnxAttribute.Tensor("value", OnnxTensor.Float("zero", new[] { 0f }, 1)));

    /// <summary>
    /// Reduces a gradient of broadcast shape <paramref name="from"/> to an operand's shape <paramref name="to"/>
    /// (numpy broadcasting rules): sums the leading extra axes and the axes where the operand has size 1.
    /// </summary>
    public string Unbroadcast(string gradient, long[] from, long[] to)
    {
        if (from.SequenceEqual(to)) return gradient;
        int extra = from.Length - to.Length;
        var axes = new List<long>();
        for (int i = 0; i < from.Length; i++)
            if (i < extra || (to[i - extra] == 1 && from[i] != 1)) axes.Add(i);
        string reduced = axes.Count == 0 ? gradient : ReduceSum(gradient, axes.ToArray(), keepDims: true);
        return Reshape(reduced, to.Length == 0 ? Array.Empty<long>() : to);
    }

    private static string Hint(string name)
    {
        // Keep generated names readable: torch exports use names like "/backbone/conv1/Conv_output_0".
        var s = name.Replace('/', '_').Trim('_');
        return s.Length > 48 ? s[^48..] : s.Length == 0 ? "v" : s;
    }
}
