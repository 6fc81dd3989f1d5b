using Fcn.MLNet.Training.Autodiff;
using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>
/// Every lowering of the Conv and ConvTranspose backward rules against finite differences of the double-precision
/// reference, at the sizes and channel counts where each one is chosen and on both sides of every switch:
/// <list type="bullet">
/// <item>Conv dX: the flipped-kernel Conv (ungrouped, stride 1, planes of ≥ 1024 pixels)
/// or the adjoint ConvTranspose (with a trailing pad, or output_padding when the forward dropped rows);</item>
/// <item>Conv dW: im2col rows + Gemm (1×1 shortcut, padded, N = 1 reshape or N &gt; 1 gather) or the grouped MatMul;</item>
/// <item>ConvTranspose dW: one Conv with X as kernel (N = 1 reshape or N &gt; 1 transpose; cropped when dY reaches past
/// the kernel) or, grouped, the im2col path with roles swapped; dX: a Conv with the same weights.</item>
/// </list>
/// Cin ≠ Cout and Cin = Cout &gt; 8, strides 1/2/4/8, pads, output_padding, dilations, groups and odd sizes.
/// </summary>
public class ConvLoweringMatrixTests
{
    public sealed record ConvCase(string Name, int N, int Cin, int H, int W, int Cout, int K, int[] Strides, int[] Pads, int[] Dilations,
        int Groups = 1, bool Bias = true)
    {
        public override string ToString() => Name;
    }

    public sealed record TransposeCase(string Name, int N, int Cin, int H, int W, int Cout, int K, int Stride, int[] Pads, int[] OutputPadding,
        int Groups = 1, int Dilation = 1, bool Bias = false)
    {
        public override string ToString() => Name;
    }

    private static readonly int[] One = { 1, 1 }, Two = { 2, 2 }, NoPad = { 0, 0, 0, 0 }, Same3 = { 1, 1, 1, 1 };

    public static IEnumerable<ConvCase> ConvCases() => new[]
    {
        // The flipped-kernel switch: 31×33 = 1023 pixels (adjoint ConvTranspose) and 32×32 = 1024 (flipped Conv).
        new ConvCase("3x3 s1, 1023 px, Cin≠Cout (adjoint ConvTranspose)", 1, 5, 31, 33, 3, 3, One, Same3, One),
        new ConvCase("3x3 s1, 1024 px, Cin≠Cout (flipped Conv)", 1, 5, 32, 32, 3, 3, One, Same3, One),
        new ConvCase("3x3 s1, 1023 px, Cin=Cout=11", 1, 11, 33, 31, 11, 3, One, Same3, One, Bias: false),
        new ConvCase("3x3 s1, 1056 px, Cin=Cout=11", 1, 11, 33, 32, 11, 3, One, Same3, One),
        new ConvCase("3x3 s1 dilation 2, asymmetric pads, 1088 px (flipped)", 1, 4, 34, 32, 6, 3, One, new[] { 2, 1, 2, 3 }, new[] { 2, 2 }),
        new ConvCase("3x3 s1 dilation 4 pad 4 (torchvision layer4), 1024 px, N=2", 2, 9, 32, 32, 9, 3, One, new[] { 4, 4, 4, 4 }, new[] { 4, 4 }),
        new ConvCase("1x1 s1, 1120 px, 12→21 (1×1 shortcut, flipped)", 1, 12, 35, 32, 21, 1, One, NoPad, One),
        new ConvCase("1x1 s1, 1120 px, N=2", 2, 6, 32, 35, 5, 1, One, NoPad, One),
        new ConvCase("3x3 s1, no pad, odd 37×29 (pad-free flipped Conv)", 1, 3, 37, 29, 4, 3, One, NoPad, One),
        // Strided: the adjoint ConvTranspose needs output_padding (odd input) or a trailing pad.
        new ConvCase("3x3 s2 pad 1, odd 33×35 (output_padding 0)", 1, 6, 33, 35, 7, 3, Two, Same3, One),
        new ConvCase("3x3 s2 pad 1, even 34×32 (output_padding 1)", 1, 6, 34, 32, 7, 3, Two, Same3, One),
        new ConvCase("7x7 s2 pad 3 (ResNet conv1), 3→16, 40×38", 1, 3, 40, 38, 16, 7, Two, new[] { 3, 3, 3, 3 }, One),
        new ConvCase("1x1 s2 (downsample), 16→24, 33×33, N=2", 2, 16, 33, 33, 24, 1, Two, NoPad, One, Bias: false),
        new ConvCase("4x4 s4 (patchify), 3→8, 35×37 (dropped rows)", 1, 3, 35, 37, 8, 4, new[] { 4, 4 }, NoPad, One),
        new ConvCase("7x7 s1 pad 0 (fc6), 8→12, 13×11", 1, 8, 13, 11, 12, 7, One, NoPad, One),
        // Grouped: never the flipped path, the grouped MatMul for dW.
        new ConvCase("3x3 s1 groups 2, 1024 px", 1, 8, 32, 32, 6, 3, One, Same3, One, Groups: 2),
        new ConvCase("3x3 s2 depthwise 12, 1089 px, N=2", 2, 12, 33, 33, 12, 3, Two, Same3, One, Groups: 12),
    };

    public static IEnumerable<TransposeCase> TransposeCases() => new[]
    {
        // FCN upsamplings: bias-free, Cin = Cout = 11 and 21, k4/s2, k8/s4, k16/s8 (upscore2, upscore_pool4, upscore8).
        new TransposeCase("k4 s2, 11→11, 13×17 (upscore2)", 1, 11, 13, 17, 11, 4, 2, NoPad, new[] { 0, 0 }),
        new TransposeCase("k4 s2, 11→11, 24×31, N=2 (batched dW)", 2, 11, 24, 31, 11, 4, 2, NoPad, new[] { 0, 0 }),
        new TransposeCase("k4 s2, 21→21, 9×12", 1, 21, 9, 12, 21, 4, 2, NoPad, new[] { 0, 0 }),
        new TransposeCase("k8 s4, 11→11, 7×9", 1, 11, 7, 9, 11, 8, 4, NoPad, new[] { 0, 0 }),
        new TransposeCase("k16 s8, 11→11, 5×6 (upscore8)", 1, 11, 5, 6, 11, 16, 8, NoPad, new[] { 0, 0 }),
        new TransposeCase("k16 s8 pad 4, 21→21, 4×5, N=2", 2, 21, 4, 5, 21, 16, 8, new[] { 4, 4, 4, 4 }, new[] { 0, 0 }),
        // Cin ≠ Cout, pads, output_padding (dY reaches past the kernel: the cropped weight-gradient Conv), odd sizes.
        new TransposeCase("k4 s2 pad 1, 9→5, 15×11", 1, 9, 15, 11, 5, 4, 2, Same3, new[] { 0, 0 }, Bias: true),
        new TransposeCase("k3 s2 pad (1,0,1,1) output_padding (1,0), 6→10, 13×12", 1, 6, 13, 12, 10, 3, 2, new[] { 1, 0, 1, 1 }, new[] { 1, 0 }, Bias: true),
        new TransposeCase("k3 s2 output_padding 1, N=2, 4→12, 11×9", 2, 4, 11, 9, 12, 3, 2, NoPad, new[] { 1, 1 }),
        new TransposeCase("k3 s1 dilation 2 pad 2, 11→11, 16×15", 1, 11, 16, 15, 11, 3, 1, new[] { 2, 2, 2, 2 }, new[] { 0, 0 }, Dilation: 2),
        // Grouped: the im2col path with roles swapped.
        new TransposeCase("k4 s2 groups 11 (depthwise upsampling), 11×13", 1, 11, 11, 13, 11, 4, 2, Same3, new[] { 0, 0 }, Groups: 11),
        new TransposeCase("k4 s2 groups 2, 10→6, N=2", 2, 10, 7, 9, 6, 4, 2, NoPad, new[] { 0, 0 }, Groups: 2),
    };

    [TestCaseSource(nameof(ConvCases))]
    public void Conv_backward_matches_finite_differences(ConvCase c)
    {
        var g = new GradientCheck(c.Cin * 31 + c.H, c.N, 3, c.H, c.W);
        string x = g.Param("x", new[] { c.N, c.Cin, c.H, c.W });
        string w = g.Param("w", new[] { c.Cout, c.Cin / c.Groups, c.K, c.K }, 0.5);
        var inputs = c.Bias ? new[] { x, w, g.Param("b", new[] { c.Cout }, 0.2) } : new[] { x, w };
        string y = g.B.Node("Conv", inputs, Ints("kernel_shape", c.K, c.K), Ints("strides", c.Strides.Select(v => (long)v).ToArray()),
            Ints("pads", c.Pads.Select(v => (long)v).ToArray()), Ints("dilations", c.Dilations.Select(v => (long)v).ToArray()), Int("group", c.Groups));
        g.Check(y, () => R.Conv(g[x], g[w], c.Bias ? g["b"] : null, c.Strides, c.Pads, c.Dilations, c.Groups), tolerance: 2e-3, maxPerTensor: 40);
    }

    [TestCaseSource(nameof(TransposeCases))]
    public void ConvTranspose_backward_matches_finite_differences(TransposeCase c)
    {
        var g = new GradientCheck(c.Cout * 17 + c.W, c.N, 3, c.H, c.W);
        string x = g.Param("x", new[] { c.N, c.Cin, c.H, c.W });
        string w = g.Param("w", new[] { c.Cin, c.Cout / c.Groups, c.K, c.K }, 0.5);
        var inputs = c.Bias ? new[] { x, w, g.Param("b", new[] { c.Cout }, 0.2) } : new[] { x, w };
        string y = g.B.Node("ConvTranspose", inputs, Ints("kernel_shape", c.K, c.K), Ints("strides", c.Stride, c.Stride),
            Ints("pads", c.Pads.Select(v => (long)v).ToArray()), Ints("output_padding", c.OutputPadding.Select(v => (long)v).ToArray()),
            Ints("dilations", c.Dilation, c.Dilation), Int("group", c.Groups));
        g.Check(y, () => R.ConvTranspose(g[x], g[w], c.Bias ? g["b"] : null, new[] { c.Stride, c.Stride }, c.Pads,
            new[] { c.Dilation, c.Dilation }, c.OutputPadding, c.Groups), tolerance: 2e-3, maxPerTensor: 40);
    }

    /// <summary>Planes of at least this many pixels take the flipped-kernel Conv (ConvGradients.FlippedConvMinimumPixels).</summary>
    private const int FlippedConvMinimumPixels = 1024;

    [TestCase(31, 33, true)]
    [TestCase(32, 32, false)]
    public void The_switch_between_conv_input_gradient_lowerings_sits_where_the_matrix_tests_it(int h, int w, bool adjointTranspose)
    {
        var g = new GradientCheck(1, 1, 3, h, w);
        string x = g.Param("x", new[] { 1, 5, h, w });
        string y = g.B.Node("Conv", new[] { x, g.Param("w", new[] { 3, 5, 3, 3 }) }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1));
        var graph = GradientGraphBuilder.Build(g.Model(y), new[] { x, "w" }, g.ImageShape, new() { UpsampleScoresToInput = false });
        Assert.That(graph.Model.Graph.Node.Any(n => n.OpType == "ConvTranspose"), Is.EqualTo(adjointTranspose));
        Assert.That(h * w >= FlippedConvMinimumPixels, Is.Not.EqualTo(adjointTranspose));
        Assert.That(ConvCases().Count(c => c.H * c.W == h * w && c.Groups == 1 && c.Strides.All(s => s == 1)), Is.GreaterThanOrEqualTo(1),
            "the matrix has a case of this size");
    }
}
