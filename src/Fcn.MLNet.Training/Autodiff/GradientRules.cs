using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>Appends the backward ops of one forward node to the training graph.</summary>
internal delegate void BackwardRule(GradientContext context, NodeProto node);

/// <summary>
/// The backward rule of an operator and which of its inputs carry gradients (the others, such as shapes, axes,
/// scales or running statistics, are constants of the graph).
/// </summary>
internal sealed record OpGradient(int[]? DifferentiableInputs, BackwardRule Backward)
{
    /// <summary>True when input <paramref name="index"/> carries a gradient (null list: every input does).</summary>
    public bool IsDifferentiable(int index) => DifferentiableInputs is null || DifferentiableInputs.Contains(index);
}

/// <summary>The table of backward rules, one family per file.</summary>
internal static class GradientRules
{
    private static readonly Lazy<IReadOnlyDictionary<string, OpGradient>> Table = new(() =>
    {
        var rules = new Dictionary<string, OpGradient>(StringComparer.Ordinal);
        ConvGradients.Register(rules);
        PoolingGradients.Register(rules);
        ElementwiseGradients.Register(rules);
        StructuralGradients.Register(rules);
        NormalizationGradients.Register(rules);
        ResizeGradients.Register(rules);
        MatMulGradients.Register(rules);
        return rules;
    });

    /// <summary>Every differentiable operator, by ONNX op type.</summary>
    public static IReadOnlyDictionary<string, OpGradient> All => Table.Value;

    /// <summary>
    /// Operators whose outputs never carry a gradient: they compute shapes, indices or masks. A node of one of
    /// these on a shape subgraph is recognised as non-differentiable and kept as it is.
    /// </summary>
    public static readonly IReadOnlySet<string> NonDifferentiable = new HashSet<string>(StringComparer.Ordinal)
    {
        "Shape", "Size", "Constant", "ConstantOfShape", "Range", "NonZero", "ArgMax", "ArgMin",
        "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor",
        "IsNaN", "IsInf", "Floor", "Ceil", "Round", "Sign", "RandomNormal", "RandomUniform",
        "RandomNormalLike", "RandomUniformLike", "EyeLike",
    };
}
