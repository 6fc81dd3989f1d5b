using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Conv and ConvTranspose gradients against finite differences of the double-precision reference.</summary>
public class ConvGradientTests
{
    private static void CheckConv(int n, int c, int h, int w, int m, int k, int[] strides, int[] pads, int[] dilations, int groups = 1,
        bool bias = true, int seed = 1)
    {
        var g = new GradientCheck(seed, n, 3, h, w);
        string x = g.Param("x", new[] { n, c, h, w });
        string wt = g.Param("w", new[] { m, c / groups, k, k }, 0.5);
        var inputs = bias ? new[] { x, wt, g.Param("b", new[] { m }) } : new[] { x, wt };
        string y = g.B.Node("Conv", inputs, Ints("kernel_shape", k, k), Ints("strides", strides.Select(v => (long)v).ToArray()),
            Ints("pads", pads.Select(v => (long)v).ToArray()), Ints("dilations", dilations.Select(v => (long)v).ToArray()), Int("group", groups));
        g.Check(y, () => R.Conv(g[x], g[wt], bias ? g["b"] : null, strides, pads, dilations, groups));
    }

    [Test]
    public void Conv_3x3_stride_2_pad_1_matches_finite_differences() =>
        CheckConv(1, 3, 7, 6, 4, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 });

    [Test]
    public void Conv_with_asymmetric_pads_and_dilation_matches_finite_differences() =>
        CheckConv(1, 2, 8, 9, 3, 3, new[] { 1, 2 }, new[] { 2, 0, 1, 3 }, new[] { 2, 1 }, seed: 2);

    [Test]
    public void Conv_over_a_batch_of_two_matches_finite_differences() =>
        CheckConv(2, 3, 6, 5, 2, 3, new[] { 2, 1 }, new[] { 1, 1, 0, 1 }, new[] { 1, 1 }, seed: 3);

    [Test]
    public void Conv_1x1_matches_finite_differences() =>
        CheckConv(2, 4, 5, 5, 3, 1, new[] { 1, 1 }, new[] { 0, 0, 0, 0 }, new[] { 1, 1 }, seed: 4);

    [Test]
    public void Conv_1x1_stride_2_without_bias_matches_finite_differences() =>
        CheckConv(1, 4, 7, 7, 3, 1, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, new[] { 1, 1 }, bias: false, seed: 5);

    [Test]
    public void Grouped_conv_matches_finite_differences() =>
        CheckConv(2, 4, 6, 6, 6, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }, groups: 2, seed: 6);

    [Test]
    public void Depthwise_conv_matches_finite_differences() =>
        CheckConv(1, 4, 7, 7, 4, 3, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }, groups: 4, seed: 7);

    [Test]
    public void Conv_over_a_large_plane_uses_the_flipped_kernel_and_matches_finite_differences()
    {
        // 33x34 ≥ FlippedConvMinimumPixels: dX is a Conv with the flipped kernel (asymmetric pads, dilation 2).
        CheckConv(1, 2, 33, 34, 3, 3, new[] { 1, 1 }, new[] { 2, 1, 1, 3 }, new[] { 2, 1 }, seed: 9);
        CheckConv(2, 3, 32, 32, 2, 3, new[] { 1, 1 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }, seed: 10);

        var g = new GradientCheck(11, 1, 3, 32, 32);
        string x = g.Param("x", new[] { 1, 2, 32, 32 });
        string y = g.B.Node("Conv", new[] { x, g.Param("w", new[] { 3, 2, 3, 3 }) }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1));
        var graph = Fcn.MLNet.Training.Autodiff.GradientGraphBuilder.Build(g.Model(y), new[] { x, "w" }, g.ImageShape,
            new() { UpsampleScoresToInput = false });
        var ops = graph.Model.Graph.Node.Select(n => n.OpType).ToList();
        Assert.That(ops, Does.Not.Contain("ConvTranspose"));
        Assert.That(ops.Count(o => o == "Conv"), Is.EqualTo(2), "forward Conv and the flipped-kernel Conv for dX");
    }

    [Test]
    public void Conv_with_auto_pad_same_upper_matches_finite_differences()
    {
        var g = new GradientCheck(8, 1, 3, 6, 6);
        string x = g.Param("x", new[] { 1, 2, 6, 6 });
        string wt = g.Param("w", new[] { 3, 2, 4, 4 }, 0.5);
        string y = g.B.Node("Conv", new[] { x, wt }, Ints("kernel_shape", 4, 4), Ints("strides", 2, 2), String("auto_pad", "SAME_UPPER"));
        // out = ceil(6/2) = 3; total pad = (3−1)·2 + 4 − 6 = 2 → 1 before, 1 after.
        g.Check(y, () => R.Conv(g[x], g[wt], null, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, new[] { 1, 1 }));
    }

    private static void CheckConvTranspose(int n, int c, int h, int w, int cout, int k, int stride, int[] pads, int[] outputPadding,
        int groups = 1, int dilation = 1, int seed = 11)
    {
        var g = new GradientCheck(seed, n, 3, h, w);
        string x = g.Param("x", new[] { n, c, h, w });
        string wt = g.Param("w", new[] { c, cout / groups, k, k }, 0.5);
        string b = g.Param("b", new[] { cout });
        string y = g.B.Node("ConvTranspose", new[] { x, wt, b }, Ints("kernel_shape", k, k), Ints("strides", stride, stride),
            Ints("pads", pads.Select(v => (long)v).ToArray()), Ints("output_padding", outputPadding.Select(v => (long)v).ToArray()),
            Ints("dilations", dilation, dilation), Int("group", groups));
        g.Check(y, () => R.ConvTranspose(g[x], g[wt], g[b], new[] { stride, stride }, pads, new[] { dilation, dilation }, outputPadding, groups));
    }

    [Test]
    public void ConvTranspose_upsampling_by_2_matches_finite_differences() =>
        CheckConvTranspose(1, 3, 3, 4, 2, 4, 2, new[] { 0, 0, 0, 0 }, new[] { 0, 0 });

    [Test]
    public void ConvTranspose_with_pads_and_output_padding_matches_finite_differences() =>
        CheckConvTranspose(2, 2, 3, 3, 3, 3, 2, new[] { 1, 0, 1, 1 }, new[] { 1, 0 }, seed: 12);

    [Test]
    public void Grouped_ConvTranspose_matches_finite_differences() =>
        CheckConvTranspose(1, 4, 3, 3, 4, 4, 2, new[] { 1, 1, 1, 1 }, new[] { 0, 0 }, groups: 2, seed: 13);

    [Test]
    public void Dilated_ConvTranspose_matches_finite_differences() =>
        CheckConvTranspose(1, 2, 4, 3, 2, 3, 1, new[] { 1, 1, 0, 2 }, new[] { 0, 0 }, dilation: 2, seed: 14);
}
