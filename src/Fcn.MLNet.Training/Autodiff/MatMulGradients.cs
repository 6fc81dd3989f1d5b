using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rules of Gemm and MatMul. Gemm Y = α·A′B′ + β·C (A′ = Aᵀ when transA, B′ likewise):
/// dA′ = α·dY·B′ᵀ, dB′ = α·A′ᵀ·dY, each expressed as one Gemm with the transpose flags folded in;
/// dC = β·dY summed back to C's shape. MatMul (rank ≥ 2, batched): dA = dY·Bᵀ, dB = Aᵀ·dY, summed over
/// broadcast batch axes.
/// </summary>
internal static class MatMulGradients
{
    public static void Register(Dictionary<string, OpGradient> rules)
    {
        rules["Gemm"] = new OpGradient(new[] { 0, 1, 2 }, Gemm);
        rules["MatMul"] = new OpGradient(new[] { 0, 1 }, MatMul);
    }

    private static void Gemm(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        string a = node.Input[0], b = node.Input[1];
        bool ta = OnnxAttribute.Find(node, "transA")?.I is 1, tb = OnnxAttribute.Find(node, "transB")?.I is 1;
        float alpha = OnnxAttribute.Find(node, "alpha")?.F ?? 1f, beta = OnnxAttribute.Find(node, "beta")?.F ?? 1f;

        string G(string hint, string p, string q, bool tp, bool tq) => ctx.Op("Gemm", hint, new[] { p, q },
            OnnxAttribute.Int("transA", tp ? 1 : 0), OnnxAttribute.Int("transB", tq ? 1 : 0), OnnxAttribute.Float("alpha", alpha));

        if (ctx.NeedsGradient(a))
        {
            // transA = 0: dA = dY·B′ᵀ; transA = 1: dA = B′·dYᵀ.
            string dA = !ta ? G(a + "_grad", dY, b, false, !tb) : G(a + "_grad", b, dY, tb, true);
            ctx.Accumulate(a, dA);
        }
        if (ctx.NeedsGradient(b))
        {
            // transB = 0: dB = A′ᵀ·dY; transB = 1: dB = dYᵀ·A′.
            string dB = !tb ? G(b + "_grad", a, dY, !ta, false) : G(b + "_grad", dY, a, true, ta);
            ctx.Accumulate(b, dB);
        }
        if (node.Input.Count > 2 && ctx.NeedsGradient(node.Input[2]))
        {
            string c = node.Input[2];
            string scaled = beta == 1f ? dY : ctx.Mul(dY, ctx.ScalarFloat(beta));
            ctx.Accumulate(c, ctx.Unbroadcast(scaled, ctx.Shape(node.Output[0]), ctx.Shape(c)));
        }
    }

    private static void MatMul(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        if (dY is null) return;
        string a = node.Input[0], b = node.Input[1];
        long[] sa = ctx.Shape(a), sb = ctx.Shape(b), sy = ctx.Shape(node.Output[0]);
        if (sa.Length < 2 || sb.Length < 2) throw GradientContext.Unsupported(node, "MatMul with a 1-D operand");

        string SwapLast(string v, int rank)
        {
            var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
            (perm[rank - 2], perm[rank - 1]) = (perm[rank - 1], perm[rank - 2]);
            return ctx.Op("Transpose", v + "_T", new[] { v }, OnnxAttribute.Ints("perm", perm));
        }

        if (ctx.NeedsGradient(a))
        {
            string full = ctx.Op("MatMul", a + "_grad", new[] { dY, SwapLast(b, sb.Length) });
            ctx.Accumulate(a, ctx.Unbroadcast(full, Broadcast(sy, sa), sa));
        }
        if (ctx.NeedsGradient(b))
        {
            string full = ctx.Op("MatMul", b + "_grad", new[] { SwapLast(a, sa.Length), dY });
            ctx.Accumulate(b, ctx.Unbroadcast(full, Broadcast(sy, sb), sb));
        }
    }

    /// <summary>The shape of the operand-sized product: Y's batch axes with the operand's two matrix axes.</summary>
    private static long[] Broadcast(long[] y, long[] operand)
    {
        var s = (long[])y.Clone();
        s[^2] = operand[^2];
        s[^1] = operand[^1];
        return s;
    }
}
