using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of the operators that move data without arithmetic: Identity, Cast, Reshape, Flatten, Squeeze,
/// Unsqueeze (dX = dY reshaped), Transpose (inverse permutation), Expand (sum back), Concat (Split), Slice (Pad the
/// gradient back, or scatter it for non-unit steps) and Pad (Slice for constant padding; a scatter-add for reflect and
/// edge padding, where several outputs read one input).
/// </summary>
internal static class StructuralGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["Identity"] = new OpGradient(new[] { 0 }, Identity);
        foreach (var op in new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Cast" })
            rules[op] = new OpGradient(new[] { 0 }, ReshapeBack);
        rules["Transpose"] = new OpGradient(new[] { 0 }, Transpose);
        rules["Expand"] = new OpGradient(new[] { 0 }, Expand);
        rules["Concat"] = new OpGradient(null, Concat);
        rules["Slice"] = new OpGradient(new[] { 0 }, Slice);
        rules["Pad"] = new OpGradient(new[] { 0 }, Pad);
    }

    private static void Identity(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is not null) ctx.Accumulate(node.Input[0], dY);
    }

    private static void ReshapeBack(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        ctx.Accumulate(x, ctx.Reshape(dY, ctx.Shape(x)));
    }

    private static void Transpose(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        int rank = ctx.Shape(x).Length;
        long[] perm = OnnxAttribute.Find(node, "perm") is { Ints.Count: > 0 } p
            ? p.Ints.ToArray()
            : Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[rank];
        for (int i = 0; i < rank; i++) inverse[perm[i]] = i;
        ctx.Accumulate(x, ctx.Op("Transpose", x + "_grad", new[] { dY }, OnnxAttribute.Ints("perm", inverse)));
    }

    private static void Expand(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        ctx.Accumulate(x, ctx.Unbroadcast(dY, ctx.Shape(node.Output[0]), ctx.Shape(x)));
    }

    private static void Concat(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null || !node.Input.Any(ctx.NeedsGradient)) return;
        long[] ys = ctx.Shape(node.Output[0]);
        long axis = OnnxAttribute.Find(node, "axis")?.I ?? throw GradientContext.Unsupported(node, "Concat without axis");
        if (axis < 0) axis += ys.Length;
        var sizes = node.Input.Select(i => ctx.Shape(i)[axis]).ToArray();
        var parts = ctx.B.Node("Split", new[] { dY, ctx.Int64s(sizes) }, sizes.Length, "concat_grad", OnnxAttribute.Int("axis", axis));
        for (int i = 0; i < sizes.Length; i++)
            if (ctx.NeedsGradient(node.Input[i])) ctx.Accumulate(node.Input[i], parts[i]);
    }

    private static void Slice(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x);
        int rank = xs.Length;
        long[] starts = ctx.OptionalInts(node, 1)!, ends = ctx.OptionalInts(node, 2)!;
        long[] axes = ctx.OptionalInts(node, 3) ?? Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        long[] steps = ctx.OptionalInts(node, 4) ?? Enumerable.Repeat(1L, starts.Length).ToArray();

        // The input coordinates each output coordinate reads, per axis (ONNX clamping rules).
        var picked = new long[rank][];
        for (int a = 0; a < rank; a++) picked[a] = Enumerable.Range(0, (int)xs[a]).Select(i => (long)i).ToArray();
        bool unitSteps = true;
        for (int i = 0; i < starts.Length; i++)
        {
            int axis = (int)(axes[i] < 0 ? axes[i] + rank : axes[i]);
            long dim = xs[axis], step = steps[i];
            if (step == 0) throw GradientContext.Unsupported(node, "a zero step");
            long start = starts[i] < 0 ? starts[i] + dim : starts[i];
            long end = ends[i] < 0 ? ends[i] + dim : ends[i];
            if (step > 0) { start = Math.Clamp(start, 0, dim); end = Math.Clamp(end, 0, dim); }
            else { start = Math.Clamp(start, 0, dim - 1); end = Math.Clamp(end, -1, dim - 1); }
            var coords = new List<long>();
            for (long v = start; step > 0 ? v < end : v > end; v += step) coords.Add(v);
            picked[axis] = coords.ToArray();
            unitSteps &= step == 1;
        }

        if (unitSteps)
        {
            var pads = new long[2 * rank];
            for (int a = 0; a < rank; a++)
            {
                long begin = picked[a].Length == 0 ? 0 : picked[a][0];
                pads[a] = begin;
                pads[rank + a] = xs[a] - begin - picked[a].Length;
            }
            ctx.Accumulate(x, pads.All(p => p == 0) ? dY : ctx.Op("Pad", x + "_grad", new[] { dY, ctx.Int64s(pads) }));
            return;
        }
        ctx.Accumulate(x, ScatterBack(ctx, dY, picked, xs, reduction: null, x + "_grad"));
    }

    private static void Pad(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x);
        int rank = xs.Length;
        long[] pads = ctx.OptionalInts(node, 1) ?? throw GradientContext.Unsupported(node, "Pad without pads");
        if (node.Input.Count > 3 && node.Input[3].Length > 0) throw GradientContext.Unsupported(node, "the axes input");
        string mode = OnnxAttribute.Find(node, "mode")?.S.ToStringUtf8() ?? "constant";

        if (mode == "constant")
        {
            // Undo negative pads (crops) with a zero Pad, then take the input's window back.
            var undo = new long[2 * rank];
            var starts = new long[rank];
            var ends = new long[rank];
            for (int a = 0; a < rank; a++)
            {
                undo[a] = Math.Max(0, -pads[a]);
                undo[rank + a] = Math.Max(0, -pads[rank + a]);
                starts[a] = Math.Max(0, pads[a]);
                ends[a] = starts[a] + xs[a];
            }
            string g = undo.Any(p => p != 0) ? ctx.Op("Pad", dY + "_unpad", new[] { dY, ctx.Int64s(undo) }) : dY;
            var axes = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            ctx.Accumulate(x, ctx.Op("Slice", x + "_grad", new[] { g, ctx.Int64s(starts), ctx.Int64s(ends), ctx.Int64s(axes) }));
            return;
        }
        if (mode is not ("reflect" or "edge"))
            throw GradientContext.Unsupported(node, $"Pad mode '{mode}'");
        if (pads.Any(p => p < 0)) throw GradientContext.Unsupported(node, $"negative pads with mode '{mode}'");

        var picked = new long[rank][];
        for (int a = 0; a < rank; a++)
        {
            long size = xs[a], outSize = size + pads[a] + pads[rank + a];
            picked[a] = new long[outSize];
            for (long o = 0; o < outSize; o++)
            {
                long v = o - pads[a];
                if (mode == "edge") v = Math.Clamp(v, 0, size - 1);
                else
                {
                    while (v < 0 || v >= size) v = v < 0 ? -v : 2 * (size - 1) - v;
                }
                picked[a][o] = v;
            }
        }
        ctx.Accumulate(x, ScatterBack(ctx, dY, picked, xs, "add", x + "_grad"));
    }

    /// <summary>
    /// Scatters dY into zeros of shape <paramref name="xs"/>, element (i₀, i₁, …) of dY going to input element
    /// (picked[0][i₀], picked[1][i₁], …); with reduction "add" when several outputs read one input.
    /// </summary>
    internal static string ScatterBack(GradientContext ctx, string dY, long[][] picked, long[] xs, string? reduction, string hint)
    {
        int rank = xs.Length;
        long count = picked.Aggregate(1L, (a, p) => a * p.Length);
        var indices = new long[count];
        var strides = new long[rank];
        long s = 1;
        for (int a = rank - 1; a >= 0; a--) { strides[a] = s; s *= xs[a]; }
        var counter = new int[rank];
        for (long i = 0; i < count; i++)
        {
            long flat = 0;
            for (int a = 0; a < rank; a++) flat += picked[a][counter[a]] * strides[a];
            indices[i] = flat;
            for (int a = rank - 1; a >= 0; a--)
            {
                if (++counter[a] < picked[a].Length) break;
                counter[a] = 0;
            }
        }
        string idx = ctx.B.AddInt64s("scatter_indices", indices, count);
        var attributes = new List<AttributeProto> { OnnxAttribute.Int("axis", 0) };
        if (reduction is not null) attributes.Add(OnnxAttribute.String("reduction", reduction));
        string flatGrad = ctx.Op("ScatterElements", hint, new[] { ctx.Zeros(new[] { s }), idx, ctx.Reshape(dY, -1) }, attributes.ToArray());
        return ctx.Reshape(flatGrad, xs);
    }
}
