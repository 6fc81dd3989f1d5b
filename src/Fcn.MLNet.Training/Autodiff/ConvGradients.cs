using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of Conv and ConvTranspose (2-D, any groups).
/// Conv: dX = ConvTranspose(dY, W) with the same strides/pads/dilations and the trailing pad or output_padding
/// that restores X's size; dW = Σₙ dYₙ · im2col(Xₙ)ᵀ (one Gemm per sample, a batched MatMul per group when
/// grouped); dB = Σ dY over N, H, W.
/// ConvTranspose is the adjoint of Conv: dX = Conv(dY, W); dW = Σₙ Xₙ · im2col(dYₙ)ᵀ (the roles swapped).
/// </summary>
internal static class ConvGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["Conv"] = new OpGradient(new[] { 0, 1, 2 }, Conv);
        rules["ConvTranspose"] = new OpGradient(new[] { 0, 1, 2 }, ConvTranspose);
    }

    private static void Conv(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        string x = node.Input[0], w = node.Input[1];
        long[] xs = ctx.Shape(x), ws = ctx.Shape(w), ys = ctx.Shape(node.Output[0]);
        if (xs.Length != 4) throw GradientContext.Unsupported(node, $"only 2-D convolutions are supported (input rank {xs.Length})");
        var geo = ConvGeometry.Read(node, ws[2..], xs[2..], ys[2..], transposed: false);

        if (ctx.NeedsGradient(x))
            ctx.Accumulate(x, ctx.Op("ConvTranspose", x + "_grad", new[] { dY, w },
                geo.AdjointTransposeAttributes(ys[2..], xs[2..], geo.Groups)));
        if (ctx.NeedsGradient(w))
        {
            var dW = WeightGradient(ctx, dY, ys, x, xs, geo, geo.Groups);
            ctx.Accumulate(w, ctx.Reshape(dW, ws));
        }
        BiasGradient(ctx, node, dY);
    }

    private static void ConvTranspose(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        string x = node.Input[0], w = node.Input[1];
        long[] xs = ctx.Shape(x), ws = ctx.Shape(w), ys = ctx.Shape(node.Output[0]);
        if (xs.Length != 4) throw GradientContext.Unsupported(node, $"only 2-D transposed convolutions are supported (input rank {xs.Length})");
        var geo = ConvGeometry.Read(node, ws[2..], xs[2..], ys[2..], transposed: true);

        if (ctx.NeedsGradient(x))
        {
            ctx.Accumulate(x, ctx.Op("Conv", x + "_grad", new[] { dY, w },
                OnnxAttribute.Ints("kernel_shape", geo.Kernel),
                OnnxAttribute.Ints("strides", geo.Strides),
                OnnxAttribute.Ints("dilations", geo.Dilations),
                OnnxAttribute.Ints("pads", geo.Pads),
                OnnxAttribute.Int("group", geo.Groups)));
        }
        if (ctx.NeedsGradient(w))
        {
            var dW = WeightGradient(ctx, x, xs, dY, ys, geo, geo.Groups);
            ctx.Accumulate(w, ctx.Reshape(dW, ws));
        }
        BiasGradient(ctx, node, dY);
    }

    private static void BiasGradient(GradientContext ctx, NodeProto node, string dY)
    {
        if (node.Input.Count > 2 && ctx.NeedsGradient(node.Input[2]))
            ctx.Accumulate(node.Input[2], ctx.ReduceSum(dY, new long[] { 0, 2, 3 }, keepDims: false));
    }

    /// <summary>
    /// Σₙ rowsₙ · im2col(sourceₙ)ᵀ: rows <c>[N, R, gh, gw]</c> against the windows of source <c>[N, C, H, W]</c> taken
    /// on the gh×gw grid with the node's kernel, strides, dilations and leading pads. Returns <c>[R, (C/g)·kh·kw]</c>
    /// (as <c>[g, R/g, (C/g)·kh·kw]</c> when grouped).
    /// </summary>
    private static string WeightGradient(GradientContext ctx, string rows, long[] rowsShape, string source, long[] sourceShape,
        ConvGeometry geo, long groups)
    {
        long n = rowsShape[0], r = rowsShape[1], grid = rowsShape[2] * rowsShape[3];
        var columns = new WindowColumns(ctx, source, sourceShape, geo.Kernel, geo.Strides, geo.Dilations,
            new[] { geo.PadBegin(0), geo.PadBegin(1) }, rowsShape[2..], groups);
        string perSample = n == 1 ? ctx.Reshape(rows, r, grid) : ctx.Reshape(rows, n, r, grid);
        string? total = null;
        for (long i = 0; i < n; i++)
        {
            string a = n == 1 ? perSample : ctx.Op("Gather", rows + "_n", new[] { perSample, ctx.ScalarInt64(i) }, OnnxAttribute.Int("axis", 0));
            string cols = columns.ForSample(i);
            if (groups == 1)
            {
                var inputs = total is null ? new[] { a, cols } : new[] { a, cols, total };
                total = ctx.Op("Gemm", source + "_wgrad", inputs, OnnxAttribute.Int("transB", 1));
            }
            else
            {
                string product = ctx.Op("MatMul", source + "_wgrad", new[] { ctx.Reshape(a, groups, r / groups, grid), cols });
                total = total is null ? product : ctx.Op("Add", source + "_wgrad", new[] { total, product });
            }
        }
        ctx.Facts.SetShape(total!, groups == 1 ? new[] { r, columns.ColumnRows } : new[] { groups, r / groups, columns.ColumnRows });
        return total!;
    }
}
