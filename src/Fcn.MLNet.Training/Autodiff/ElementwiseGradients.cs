using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of the element-wise operators. Binary operators follow numpy broadcasting, so each operand's
/// gradient is summed back to its own shape. Relu uses the output (Where(Y &gt; 0, dY, 0)); LeakyRelu and Clip the
/// input; Sigmoid dY·Y·(1 − Y).
/// </summary>
internal static class ElementwiseGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["Add"] = new OpGradient(new[] { 0, 1 }, Add);
        rules["Sub"] = new OpGradient(new[] { 0, 1 }, Sub);
        rules["Mul"] = new OpGradient(new[] { 0, 1 }, Mul);
        rules["Div"] = new OpGradient(new[] { 0, 1 }, Div);
        rules["Neg"] = new OpGradient(new[] { 0 }, Neg);
        rules["Sum"] = new OpGradient(null, Sum);
        rules["Relu"] = new OpGradient(new[] { 0 }, Relu);
        rules["LeakyRelu"] = new OpGradient(new[] { 0 }, LeakyRelu);
        rules["Sigmoid"] = new OpGradient(new[] { 0 }, Sigmoid);
        rules["Clip"] = new OpGradient(new[] { 0 }, Clip);
    }

    private static void Binary(GradientContext ctx, NodeProto node, Func<string, string>? left, Func<string, string>? right)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        long[] ys = ctx.Shape(node.Output[0]);
        string a = node.Input[0], b = node.Input[1];
        if (ctx.NeedsGradient(a))
            ctx.Accumulate(a, ctx.Unbroadcast(left is null ? dY : left(dY), ys, ctx.Shape(a)));
        if (ctx.NeedsGradient(b))
            ctx.Accumulate(b, ctx.Unbroadcast(right is null ? dY : right(dY), ys, ctx.Shape(b)));
    }

    private static void Add(GradientContext ctx, NodeProto node) => Binary(ctx, node, null, null);

    private static void Sub(GradientContext ctx, NodeProto node) =>
        Binary(ctx, node, null, dY => ctx.Op("Neg", dY + "_neg", new[] { dY }));

    private static void Mul(GradientContext ctx, NodeProto node) =>
        Binary(ctx, node, dY => ctx.Mul(dY, node.Input[1]), dY => ctx.Mul(dY, node.Input[0]));

    private static void Div(GradientContext ctx, NodeProto node) =>
        Binary(ctx, node,
            dY => ctx.Op("Div", dY + "_div", new[] { dY, node.Input[1] }),
            // d(a/b)/db = −a/b² = −Y/b
            dY => ctx.Op("Neg", dY + "_neg", new[] { ctx.Op("Div", dY + "_div", new[] { ctx.Mul(dY, node.Output[0]), node.Input[1] }) }));

    private static void Neg(GradientContext ctx, NodeProto node) =>
        Unary(ctx, node, dY => ctx.Op("Neg", dY + "_neg", new[] { dY }));

    private static void Sum(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        long[] ys = ctx.Shape(node.Output[0]);
        foreach (var input in node.Input)
            if (ctx.NeedsGradient(input)) ctx.Accumulate(input, ctx.Unbroadcast(dY, ys, ctx.Shape(input)));
    }

    private static void Unary(GradientContext ctx, NodeProto node, Func<string, string> rule)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null || !ctx.NeedsGradient(node.Input[0])) return;
        ctx.Accumulate(node.Input[0], rule(dY));
    }

    private static void Relu(GradientContext ctx, NodeProto node) =>
        Unary(ctx, node, dY => ctx.Op("Where", node.Input[0] + "_grad", new[]
        {
            ctx.Op("Greater", "relu_mask", new[] { node.Output[0], ctx.ScalarFloat(0f) }), dY, ctx.ScalarFloat(0f),
        }));

    private static void LeakyRelu(GradientContext ctx, NodeProto node)
    {
        float alpha = OnnxAttribute.Find(node, "alpha")?.F ?? 0.01f;
        Unary(ctx, node, dY => ctx.Op("Where", node.Input[0] + "_grad", new[]
        {
            ctx.Op("Greater", "leaky_mask", new[] { node.Input[0], ctx.ScalarFloat(0f) }), dY, ctx.Mul(dY, ctx.ScalarFloat(alpha)),
        }));
    }

    private static void Sigmoid(GradientContext ctx, NodeProto node)
    {
        string y = node.Output[0];
        Unary(ctx, node, dY => ctx.Mul(dY, ctx.Mul(y, ctx.Op("Sub", y + "_complement", new[] { ctx.ScalarFloat(1f), y }))));
    }

    private static void Clip(GradientContext ctx, NodeProto node)
    {
        // Pass the gradient where min < x < max (the bounds are constants or absent).
        string x = node.Input[0];
        Unary(ctx, node, dY =>
        {
            string? inside = null;
            if (node.Input.Count > 1 && node.Input[1].Length > 0)
                inside = ctx.Op("Greater", "clip_lo", new[] { x, node.Input[1] });
            if (node.Input.Count > 2 && node.Input[2].Length > 0)
            {
                string below = ctx.Op("Less", "clip_hi", new[] { x, node.Input[2] });
                inside = inside is null ? below : ctx.Op("And", "clip_in", new[] { inside, below });
            }
            return inside is null ? dY : ctx.Op("Where", x + "_grad", new[] { inside, dY, ctx.ScalarFloat(0f) });
        });
    }
}
