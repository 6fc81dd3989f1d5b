using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of MaxPool, AveragePool and GlobalAveragePool.
/// MaxPool: the forward node is given its <c>Indices</c> output and dY is scattered (ScatterElements with
/// reduction "add", exact for overlapping windows) into zeros at those flat indices.
/// AveragePool: dY is divided by each window's element count (ONNX/PyTorch rules for pads, count_include_pad
/// and ceil_mode) and spread back by a depthwise ConvTranspose with a kernel of ones.
/// GlobalAveragePool: dY / (H·W) expanded over the plane.
/// </summary>
internal static class PoolingGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["MaxPool"] = new OpGradient(new[] { 0 }, MaxPool);
        rules["AveragePool"] = new OpGradient(new[] { 0 }, AveragePool);
        rules["GlobalAveragePool"] = new OpGradient(new[] { 0 }, GlobalAveragePool);
        rules["GlobalMaxPool"] = new OpGradient(new[] { 0 }, GlobalMaxPool);
    }

    private static void MaxPool(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x);
        if (OnnxAttribute.Find(node, "storage_order")?.I is 1)
            throw GradientContext.Unsupported(node, "storage_order = 1 (column-major indices)");
        if (node.Output.Count < 2 || node.Output[1].Length == 0)
        {
            // The training graph is a copy: ask the forward MaxPool for its argmax indices.
            string indicesName = ctx.B.UniqueName(node.Output[0] + "_indices");
            if (node.Output.Count < 2) node.Output.Add(indicesName);
            else node.Output[1] = indicesName;
        }
        string indices = node.Output[1];
        long total = xs.Aggregate(1L, (a, d) => a * d);
        string scattered = ctx.Op("ScatterElements", x + "_grad",
            new[] { ctx.Zeros(new[] { total }), ctx.Reshape(indices, -1), ctx.Reshape(dY, -1) },
            OnnxAttribute.Int("axis", 0), OnnxAttribute.String("reduction", "add"));
        ctx.Accumulate(x, ctx.Reshape(scattered, xs));
    }

    private static void AveragePool(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x), ys = ctx.Shape(node.Output[0]);
        if (xs.Length != 4) throw GradientContext.Unsupported(node, $"only 2-D pooling is supported (input rank {xs.Length})");
        var geo = ConvGeometry.Read(node, Array.Empty<long>(), xs[2..], ys[2..], transposed: false);
        if (geo.Dilations.Any(d => d != 1)) throw GradientContext.Unsupported(node, "dilated average pooling");
        bool includePad = OnnxAttribute.Find(node, "count_include_pad")?.I is 1;

        // Divisor of every output position, as ORT and PyTorch count it.
        long oh = ys[2], ow = ys[3];
        var inverse = new float[oh * ow];
        bool uniform = true;
        long kArea = geo.Kernel[0] * geo.Kernel[1];
        for (long oy = 0; oy < oh; oy++)
        for (long ox = 0; ox < ow; ox++)
        {
            long count = WindowCount(oy, 0, geo, xs[2], includePad) * WindowCount(ox, 1, geo, xs[3], includePad);
            inverse[oy * ow + ox] = 1f / count;
            uniform &= count == kArea;
        }
        long c = xs[1];
        string scaled = uniform
            ? ctx.Mul(dY, ctx.ScalarFloat(1f / kArea))
            : ctx.Mul(dY, ctx.Floats("avgpool_inverse_count", inverse, 1, 1, oh, ow));
        string ones = ctx.Shared($"ones:{c}x{geo.Kernel[0]}x{geo.Kernel[1]}", () =>
            ctx.B.AddFloats("pool_ones", Enumerable.Repeat(1f, (int)(c * kArea)).ToArray(), c, 1, geo.Kernel[0], geo.Kernel[1]));
        ctx.Accumulate(x, ctx.Op("ConvTranspose", x + "_grad", new[] { scaled, ones },
            geo.AdjointTransposeAttributes(ys[2..], xs[2..], c)));
    }

    /// <summary>Elements a window counts along one axis: clipped to the padded input, then (unless
    /// count_include_pad) to the input itself.</summary>
    private static long WindowCount(long o, int axis, ConvGeometry geo, long size, bool includePad)
    {
        long start = o * geo.Strides[axis] - geo.PadBegin(axis);
        long end = Math.Min(start + geo.Kernel[axis], size + geo.PadEnd(axis));
        if (includePad) return end - start;
        return Math.Min(end, size) - Math.Max(start, 0);
    }

    private static void GlobalAveragePool(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x);
        long plane = xs.Skip(2).Aggregate(1L, (a, d) => a * d);
        string scaled = ctx.Mul(dY, ctx.ScalarFloat(1f / plane));
        ctx.Accumulate(x, ctx.Op("Expand", x + "_grad", new[] { scaled, ctx.Int64s(xs) }));
    }

    private static void GlobalMaxPool(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        // Ties share the gradient of the maximum (every arg-max position receives dY).
        string isMax = ctx.Op("Equal", x + "_ismax", new[] { x, node.Output[0] });
        ctx.Accumulate(x, ctx.Op("Where", x + "_grad", new[] { isMax, ctx.Op("Expand", "dy", new[] { dY, ctx.Int64s(ctx.Shape(x)) }), ctx.ScalarFloat(0f) }));
    }
}
