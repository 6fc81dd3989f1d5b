using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>BatchNormalization (inference form), Resize, Gemm and MatMul gradients against finite differences.</summary>
public class NormalizationResizeGradientTests
{
    [Test]
    public void BatchNormalization_trains_scale_and_bias_with_frozen_statistics()
    {
        var g = new GradientCheck(61, 2, 3, 4, 4);
        string x = g.Param("x", new[] { 2, 3, 4, 5 });
        string scale = g.Param("scale", new[] { 3 }, 0.5, 1);
        string bias = g.Param("bias", new[] { 3 });
        string mean = g.Frozen("mean", new[] { 3 }, 0.3);
        string variance = g.Frozen("var", new[] { 3 }, 0.5, 1);
        string y = g.B.Node("BatchNormalization", new[] { x, scale, bias, mean, variance }, Float("epsilon", 1e-3f));
        g.Check(y, () => R.BatchNorm(g[x], g[scale], g[bias], g[mean], g[variance], 1e-3f));
    }

    private static void CheckResize(int[] inShape, int oh, int ow, float[]? scales, string mode, string transform, string nearest, int seed)
    {
        var g = new GradientCheck(seed, inShape[0], 3, 4, 4);
        string x = g.Param("x", inShape);
        var inputs = scales is null
            ? new[] { x, "", "", g.B.AddInt64s("sizes", new long[] { inShape[0], inShape[1], oh, ow }, 4) }
            : new[] { x, "", g.B.AddFloats("scales", scales, 4) };
        string y = g.B.Node("Resize", inputs, String("mode", mode), String("coordinate_transformation_mode", transform), String("nearest_mode", nearest));
        g.Check(y, () => R.Resize(g[x], oh, ow, scales?[2], scales?[3], mode, transform, nearest));
    }

    [Test]
    public void Bilinear_Resize_x2_half_pixel_matches_finite_differences() =>
        CheckResize(new[] { 1, 2, 3, 4 }, 6, 8, new[] { 1f, 1f, 2f, 2f }, "linear", "half_pixel", "round_prefer_floor", 62);

    [Test]
    public void Bilinear_Resize_align_corners_to_sizes_matches_finite_differences() =>
        CheckResize(new[] { 2, 2, 3, 4 }, 7, 5, null, "linear", "align_corners", "round_prefer_floor", 63);

    [Test]
    public void Bilinear_Resize_downsampling_pytorch_half_pixel_matches_finite_differences() =>
        CheckResize(new[] { 1, 2, 7, 6 }, 3, 4, null, "linear", "pytorch_half_pixel", "round_prefer_floor", 64);

    [Test]
    public void Nearest_Resize_as_torch_exports_it_matches_finite_differences() =>
        CheckResize(new[] { 1, 3, 3, 4 }, 6, 8, new[] { 1f, 1f, 2f, 2f }, "nearest", "asymmetric", "floor", 65);

    [Test]
    public void Nearest_Resize_by_a_fraction_half_pixel_matches_finite_differences() =>
        CheckResize(new[] { 1, 2, 4, 5 }, 7, 6, null, "nearest", "half_pixel", "round_prefer_floor", 66);

    [Test]
    public void Gemm_with_transposed_operands_matches_finite_differences()
    {
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            var g = new GradientCheck(67, 1, 3, 4, 4);
            string a = g.Param("a", ta ? new[] { 5, 3 } : new[] { 3, 5 });
            string b = g.Param("b", tb ? new[] { 8, 5 } : new[] { 5, 8 });
            string c = g.Param("c", new[] { 3, 1 }); // per-row: a per-column bias would add the same value to every class
            string y = g.B.Node("Gemm", new[] { a, b, c }, Int("transA", ta ? 1 : 0), Int("transB", tb ? 1 : 0), Float("alpha", 0.7f), Float("beta", 1.3f));
            string s = g.B.Node("Reshape", new[] { y, g.B.AddInt64s("s", new long[] { 1, 3, 2, 4 }, 4) });
            g.Check(s, () => R.Gemm(g[a], g[b], g[c], ta, tb, 0.7f, 1.3f).Reshape(1, 3, 2, 4));
        }
    }

    [Test]
    public void Batched_MatMul_with_a_shared_matrix_matches_finite_differences()
    {
        var g = new GradientCheck(68, 2, 3, 4, 4);
        string a = g.Param("a", new[] { 2, 3, 4, 5 });
        string b = g.Param("b", new[] { 5, 3 });
        string y = g.B.Node("MatMul", new[] { a, b });
        g.Check(y, () => R.MatMul(g[a], g[b]));
    }
}
