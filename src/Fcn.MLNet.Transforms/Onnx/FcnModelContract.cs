using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// What SegmentFcn needs to know about a model, checked against its contract: one float image input
/// <c>[N or 1, 3, H, W]</c> with dynamic H and W, and one float score output <c>[N or 1, C, h, w]</c>.
/// </summary>
public sealed class FcnModelContract
{
    private FcnModelContract(string inputName, string outputName, int? numberOfClasses,
        bool outputMatchesInputSize, long opset, IReadOnlyList<string>? classNames)
    {
        InputName = inputName;
        OutputName = outputName;
        NumberOfClasses = numberOfClasses;
        OutputMatchesInputSize = outputMatchesInputSize;
        Opset = opset;
        ClassNames = classNames;
    }

    /// <summary>Name of the image input.</summary>
    public string InputName { get; }

    /// <summary>Name of the class-score output.</summary>
    public string OutputName { get; }

    /// <summary>C, when the output declares it (or class names give it); otherwise null.</summary>
    public int? NumberOfClasses { get; }

    /// <summary>
    /// True when the output's spatial dims are declared with the same symbols as the input's, so the scores are
    /// already at input resolution and need no resize.
    /// </summary>
    public bool OutputMatchesInputSize { get; }

    /// <summary>Opset of the default ONNX domain.</summary>
    public long Opset { get; }

    /// <summary>Class names from the model's metadata_props, when present.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The lowest default-domain opset SegmentFcn can wrap (Resize with sizes needs 11).</summary>
    public const int MinimumOpset = 11;

    /// <summary>
    /// Checks <paramref name="model"/> against the contract and describes it. <paramref name="source"/> names the
    /// model in error messages; <paramref name="scoresOutputName"/> picks the output when the model has several.
    /// </summary>
    /// <exception cref="InvalidDataException">The model does not meet the contract; the message says what was
    /// expected and what was found.</exception>
    public static FcnModelContract Inspect(ModelProto model, string source, string? scoresOutputName = null)
    {
        var graph = model.Graph;
        long opset = OnnxModelFile.DefaultDomainOpset(model);
        if (opset < MinimumOpset)
            throw new InvalidDataException($"{source}: SegmentFcn needs ONNX opset {MinimumOpset} or newer; the model imports opset {opset}.");

        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InvalidDataException(
                $"{source}: SegmentFcn expects exactly one image input [N or 1, 3, H, W]; found {inputs.Count}: {Describe(inputs)}.");
        var input = inputs[0];
        var inDims = CheckFloatRank4(input, source, "input", "[N or 1, 3, H, W]");
        if (inDims[3].Value == 3 && inDims[1].Value != 3)
            throw new InvalidDataException(
                $"{source}: input '{input.Name}' is channels-last {Shape(inDims)} (NHWC); SegmentFcn feeds channels-first [N, 3, H, W] (NCHW). " +
                "Export the model channels-first (e.g. tf2onnx --inputs-as-nchw, or a Transpose at its input).");
        if (inDims[0].Value is long n && n != 1)
            throw new InvalidDataException($"{source}: input '{input.Name}' has batch size {n}; expected 1 or dynamic.");
        if (inDims[1].Value is long c && c != 3)
            throw new InvalidDataException($"{source}: input '{input.Name}' has {c} channels; SegmentFcn feeds 3 colour channels.");
        if (!inDims[2].IsDynamic || !inDims[3].IsDynamic)
            throw new InvalidDataException(
                $"{source}: input '{input.Name}' has fixed size {Shape(inDims)}; SegmentFcn needs dynamic H and W " +
                "(export with dynamic axes, or convolutionalize the classifier).");

        ValueInfoProto output;
        if (scoresOutputName is not null)
        {
            output = graph.Output.FirstOrDefault(o => o.Name == scoresOutputName)
                ?? throw new InvalidDataException($"{source}: no output named '{scoresOutputName}'; outputs are {Describe(graph.Output)}.");
        }
        else if (graph.Output.Count != 1)
        {
            throw new InvalidDataException(
                $"{source}: SegmentFcn expects one score output [N or 1, C, h, w]; found {graph.Output.Count}: {Describe(graph.Output)}. " +
                "Choose one with the scores-output option.");
        }
        else output = graph.Output[0];

        var outDims = CheckFloatRank4(output, source, "output", "[N or 1, C, h, w]");
        var classNames = ModelMetadata.ReadClassNames(model);
        int? classes = outDims[1].Value is long k ? checked((int)k) : classNames?.Count;
        if (classNames is not null && classes is int kc && classNames.Count != kc)
            throw new InvalidDataException($"{source}: metadata lists {classNames.Count} class names but the output has {kc} classes.");

        bool sameSize = SameSymbol(inDims[2], outDims[2]) && SameSymbol(inDims[3], outDims[3]);
        return new FcnModelContract(input.Name, output.Name, classes, sameSize, opset, classNames);
    }

    private static bool SameSymbol(OnnxDim a, OnnxDim b) =>
        a.Symbol is { Length: > 0 } s && s == b.Symbol;

    private static OnnxDim[] CheckFloatRank4(ValueInfoProto v, string source, string role, string expected)
    {
        var tensor = v.Type?.TensorType;
        if (tensor is null)
            throw new InvalidDataException($"{source}: {role} '{v.Name}' is not a tensor; expected float {expected}.");
        if (tensor.ElemType != (int)DataType.Float)
            throw new InvalidDataException(
                $"{source}: {role} '{v.Name}' has element type {(DataType)tensor.ElemType}; expected float {expected}.");
        var dims = Dims(v);
        if (dims.Length != 4)
            throw new InvalidDataException(
                $"{source}: {role} '{v.Name}' has shape {Shape(dims)} (rank {dims.Length}); expected {expected}.");
        return dims;
    }

    /// <summary>The declared dims of a value (a dim with neither value nor symbol is dynamic, symbol "").</summary>
    public static OnnxDim[] Dims(ValueInfoProto v) =>
        v.Type?.TensorType?.Shape?.Dim.Select(d =>
            d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                ? new OnnxDim(d.DimValue, null)
                : new OnnxDim(null, d.DimParam ?? "")).ToArray() ?? Array.Empty<OnnxDim>();

    private static string Shape(OnnxDim[] dims) => "[" + string.Join(", ", dims.Select(d => d.ToString())) + "]";

    private static string Describe(IEnumerable<ValueInfoProto> values)
    {
        var parts = values.Select(v => $"'{v.Name}' {Shape(Dims(v))}").ToList();
        return parts.Count == 0 ? "none" : string.Join(", ", parts);
    }
}
