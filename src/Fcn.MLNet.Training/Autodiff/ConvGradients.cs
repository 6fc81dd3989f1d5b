using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of Conv and ConvTranspose (2-D, any groups).
/// Conv: dX = ConvTranspose(dY, W) with the same strides/pads/dilations and the trailing pad or output_padding
/// that restores X's size (for stride-1 convolutions over large planes, a Conv with the flipped kernel instead); dW = Σₙ dYₙ · im2col(Xₙ)ᵀ (one Gemm per sample, a batched MatMul per group when
/// grouped); dB = Σ dY over N, H, W.
/// ConvTranspose is the adjoint of Conv: dX = Conv(dY, W); dW is one Conv of dY with X as its kernel (dilated by the
/// stride), or Σₙ Xₙ · im2col(dYₙ)ᵀ when grouped.
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
            ctx.Accumulate(x, FlippedConvInputGradient(ctx, dY, w, ws, xs, ys, geo)
                ?? ctx.Op("ConvTranspose", x + "_grad", new[] { dY, w }, geo.AdjointTransposeAttributes(ys[2..], xs[2..], geo.Groups)));
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
            if (geo.Groups == 1)
                ctx.Accumulate(w, TransposedWeightGradientAsConv(ctx, x, xs, dY, ys, geo));
            else
                ctx.Accumulate(w, ctx.Reshape(WeightGradient(ctx, x, xs, dY, ys, geo, geo.Groups), ws));
        }
        BiasGradient(ctx, node, dY);
    }

    /// <summary>
    /// ConvTranspose weight gradient as one Conv: dW[ci, co, ky, kx] = Σ X[n, ci, y, x]·dY[n, co, y·s + ky·d − p, …]
    /// is a Conv of dY (as <c>[Cout, N, Ho, Wo]</c>) with X (as <c>[Cin, N, H, W]</c>) as its kernel, dilated by the
    /// stride and strided by the dilation, giving <c>[Cout, Cin, kh, kw]</c>, then swapped to <c>[Cin, Cout, kh, kw]</c>.
    /// </summary>
    private static string TransposedWeightGradientAsConv(GradientContext ctx, string x, long[] xs, string dY, long[] ys, ConvGeometry geo)
    {
        string SwapBatchAndChannels(string v, long[] shape) => shape[0] == 1
            ? ctx.Reshape(v, shape[1], 1, shape[2], shape[3])
            : ctx.Op("Transpose", v + "_cn", new[] { v }, OnnxAttribute.Ints("perm", 1, 0, 2, 3));
        string input = SwapBatchAndChannels(dY, ys);  // [Cout, N, Ho, Wo]
        string kernel = SwapBatchAndChannels(x, xs);  // [Cin, N, H, W]
        var pads = new long[4];
        var size = new long[2];
        for (int i = 0; i < 2; i++)
        {
            pads[i] = geo.PadBegin(i);
            long reach = (geo.Kernel[i] - 1) * geo.Dilations[i] + (xs[2 + i] - 1) * geo.Strides[i] + 1;
            pads[2 + i] = Math.Max(0, reach - ys[2 + i] - pads[i]);
            size[i] = (ys[2 + i] + pads[i] + pads[2 + i] - ((xs[2 + i] - 1) * geo.Strides[i] + 1)) / geo.Dilations[i] + 1;
        }
        string product = ctx.Op("Conv", x + "_wgrad_conv", new[] { input, kernel },
            OnnxAttribute.Ints("kernel_shape", xs[2], xs[3]),
            OnnxAttribute.Ints("dilations", geo.Strides),
            OnnxAttribute.Ints("strides", geo.Dilations),
            OnnxAttribute.Ints("pads", pads));
        if (size[0] != geo.Kernel[0] || size[1] != geo.Kernel[1])
            product = ctx.Op("Slice", x + "_wgrad_crop", new[] { product, ctx.Int64s(0, 0), ctx.Int64s(geo.Kernel[0], geo.Kernel[1]), ctx.Int64s(2, 3) });
        return ctx.Op("Transpose", x + "_wgrad", new[] { product }, OnnxAttribute.Ints("perm", 1, 0, 2, 3));
    }

    /// <summary>Input planes at least this large use <see cref="FlippedConvInputGradient"/>.</summary>
    internal const long FlippedConvMinimumPixels = 1024;

    /// <summary>
    /// For a stride-1, ungrouped Conv over large planes: dX as a plain Conv of dY with the kernel flipped and its
    /// channel axes swapped (W′[c, m, i, j] = W[m, c, kh−1−i, kw−1−j]), padded (k−1)·d − p. ONNX Runtime's Conv is
    /// markedly faster than its ConvTranspose (col2im) on large planes; the flip itself is one Transpose and one
    /// small MatMul with an anti-identity over the kh·kw taps. Returns null where the lowering does not apply.
    /// </summary>
    private static string? FlippedConvInputGradient(GradientContext ctx, string dY, string w, long[] ws, long[] xs, long[] ys, ConvGeometry geo)
    {
        if (geo.Groups != 1 || geo.Strides.Any(v => v != 1) || xs[2] * xs[3] < FlippedConvMinimumPixels) return null;
        var pads = new long[4];
        for (int i = 0; i < 2; i++)
        {
            pads[i] = (geo.Kernel[i] - 1) * geo.Dilations[i] - geo.PadBegin(i);
            pads[2 + i] = xs[2 + i] - ys[2 + i] + (geo.Kernel[i] - 1) * geo.Dilations[i] - pads[i];
        }
        if (pads.Any(p => p < 0)) return null;
        long taps = geo.Kernel[0] * geo.Kernel[1];
        string flipped = ctx.Shared("flip:" + w, () =>
        {
            string swapped = ctx.Op("Transpose", w + "_swap", new[] { w }, OnnxAttribute.Ints("perm", 1, 0, 2, 3));
            var reverse = new float[taps * taps];
            for (long t = 0; t < taps; t++) reverse[t * taps + (taps - 1 - t)] = 1f;
            string reversed = ctx.Op("MatMul", w + "_flip", new[] { ctx.Reshape(swapped, ws[1] * ws[0], taps), ctx.Floats("tap_reverse", reverse, taps, taps) });
            return ctx.Reshape(reversed, ws[1], ws[0], geo.Kernel[0], geo.Kernel[1]);
        });
        return ctx.Op("Conv", dY + "_dx", new[] { dY, flipped },
            OnnxAttribute.Ints("kernel_shape", geo.Kernel),
            OnnxAttribute.Ints("dilations", geo.Dilations),
            OnnxAttribute.Ints("pads", pads));
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
