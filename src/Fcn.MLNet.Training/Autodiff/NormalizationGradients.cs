using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of BatchNormalization in inference form and of Dropout.
/// BatchNormalization: Y = γ·(X − μ)/√(σ² + ε) + β with the running statistics μ, σ² frozen; dX = dY·γ/√(σ² + ε),
/// dγ = Σ dY·(X − μ)/√(σ² + ε), dβ = Σ dY (sums over every axis but the channel axis).
/// Dropout: the identity, or, when training activates it, dY·mask/(1 − ratio).
/// </summary>
internal static class NormalizationGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["BatchNormalization"] = new OpGradient(new[] { 0, 1, 2 }, BatchNormalization);
        rules["Dropout"] = new OpGradient(new[] { 0 }, Dropout);
    }

    private static void BatchNormalization(GradientContext ctx, NodeProto node)
    {
        if (OnnxAttribute.Find(node, "training_mode")?.I is 1 || node.Output.Count(o => o.Length > 0) > 1)
            throw GradientContext.Unsupported(node, "BatchNormalization in training mode (export the model in eval mode)");
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        string x = node.Input[0], scale = node.Input[1], bias = node.Input[2], mean = node.Input[3], variance = node.Input[4];
        long[] xs = ctx.Shape(x);
        float epsilon = OnnxAttribute.Find(node, "epsilon")?.F ?? 1e-5f;
        var channelShape = new long[xs.Length];
        Array.Fill(channelShape, 1L);
        channelShape[1] = xs[1];
        var reduceAxes = Enumerable.Range(0, xs.Length).Where(a => a != 1).Select(a => (long)a).ToArray();

        string invStd = ctx.Op("Reciprocal", "bn_inv_std", new[]
        {
            ctx.Op("Sqrt", "bn_std", new[] { ctx.Op("Add", "bn_var_eps", new[] { variance, ctx.ScalarFloat(epsilon) }) }),
        });
        string invStdC = ctx.Reshape(invStd, channelShape);
        if (ctx.NeedsGradient(x))
            ctx.Accumulate(x, ctx.Mul(dY, ctx.Reshape(ctx.Mul(scale, invStd), channelShape)));
        if (ctx.NeedsGradient(scale))
        {
            string normalized = ctx.Mul(ctx.Op("Sub", x + "_centered", new[] { x, ctx.Reshape(mean, channelShape) }), invStdC);
            ctx.Accumulate(scale, ctx.ReduceSum(ctx.Mul(dY, normalized), reduceAxes, keepDims: false));
        }
        if (ctx.NeedsGradient(bias))
            ctx.Accumulate(bias, ctx.ReduceSum(dY, reduceAxes, keepDims: false));
    }

    private static void Dropout(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        if (!DropoutActivation.IsActive(node))
        {
            ctx.Accumulate(x, dY);
            return;
        }
        float ratio = ctx.OptionalFloats(node, 1) is { Length: 1 } r ? r[0] : 0.5f;
        string mask = ctx.Op("Cast", "dropout_mask", new[] { node.Output[1] }, OnnxAttribute.Int("to", (long)TensorProto.Types.DataType.Float));
        ctx.Accumulate(x, ctx.Mul(ctx.Mul(dY, mask), ctx.ScalarFloat(ratio >= 1f ? 0f : 1f / (1f - ratio))));
    }
}

/// <summary>Switches the Dropout nodes of a training graph to training mode, each with its own seed.</summary>
internal static class DropoutActivation
{
    private const string Marker = "fcn_training_dropout";

    public static void Activate(OnnxGraphBuilder b, int seed)
    {
        int k = 0;
        string? isTraining = null;
        foreach (var node in b.Graph.Node.Where(n => n.OpType == "Dropout").ToList())
        {
            isTraining ??= b.AddInitializer(OnnxTensor.Bool("dropout_training", new[] { true }));
            while (node.Input.Count < 2) node.Input.Add("");
            if (node.Input.Count < 3) node.Input.Add(isTraining);
            else node.Input[2] = isTraining;
            if (node.Output.Count < 2) node.Output.Add(b.UniqueName(node.Output[0] + "_mask"));
            else if (node.Output[1].Length == 0) node.Output[1] = b.UniqueName(node.Output[0] + "_mask");
            if (node.Attribute.FirstOrDefault(a => a.Name == "seed") is { } oldSeed) node.Attribute.Remove(oldSeed);
            node.Attribute.Add(OnnxAttribute.Int("seed", seed + k++));
            node.DocString = Marker;
        }
    }

    public static bool IsActive(NodeProto node) => node.DocString == Marker;
}
