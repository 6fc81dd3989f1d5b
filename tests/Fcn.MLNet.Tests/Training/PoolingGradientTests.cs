using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>MaxPool, AveragePool and GlobalAveragePool gradients against finite differences.</summary>
public class PoolingGradientTests
{
    [Test]
    public void MaxPool_2x2_stride_2_matches_finite_differences()
    {
        var g = new GradientCheck(21, 1, 3, 6, 6);
        string x = g.Param("x", new[] { 1, 3, 6, 6 });
        string y = g.B.Node("MaxPool", new[] { x }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        g.Check(y, () => R.MaxPool(g[x], new[] { 2, 2 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }));
    }

    [Test]
    public void Overlapping_MaxPool_3x3_stride_2_with_pads_matches_finite_differences()
    {
        var g = new GradientCheck(22, 2, 3, 7, 6);
        string x = g.Param("x", new[] { 2, 2, 7, 6 });
        string y = g.B.Node("MaxPool", new[] { x }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        g.Check(y, () => R.MaxPool(g[x], new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }));
    }

    [Test]
    public void MaxPool_in_ceil_mode_matches_finite_differences()
    {
        var g = new GradientCheck(23, 1, 3, 6, 7);
        string x = g.Param("x", new[] { 1, 2, 6, 7 });
        string y = g.B.Node("MaxPool", new[] { x }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        g.Check(y, () => R.MaxPool(g[x], new[] { 3, 3 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, ceil: true));
    }

    [Test]
    public void AveragePool_excluding_pads_matches_finite_differences()
    {
        var g = new GradientCheck(24, 1, 3, 7, 6);
        string x = g.Param("x", new[] { 1, 3, 7, 6 });
        string y = g.B.Node("AveragePool", new[] { x }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        g.Check(y, () => R.AveragePool(g[x], new[] { 3, 3 }, new[] { 2, 2 }, new[] { 1, 1, 1, 1 }, countIncludePad: false));
    }

    [Test]
    public void AveragePool_including_pads_matches_finite_differences()
    {
        var g = new GradientCheck(25, 2, 3, 5, 5);
        string x = g.Param("x", new[] { 2, 2, 5, 5 });
        string y = g.B.Node("AveragePool", new[] { x }, Ints("kernel_shape", 2, 3), Ints("strides", 1, 2), Ints("pads", 0, 1, 1, 1),
            Int("count_include_pad", 1));
        g.Check(y, () => R.AveragePool(g[x], new[] { 2, 3 }, new[] { 1, 2 }, new[] { 0, 1, 1, 1 }, countIncludePad: true));
    }

    [Test]
    public void AveragePool_in_ceil_mode_matches_finite_differences()
    {
        var g = new GradientCheck(26, 1, 3, 6, 6);
        string x = g.Param("x", new[] { 1, 2, 6, 6 });
        string y = g.B.Node("AveragePool", new[] { x }, Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Int("ceil_mode", 1));
        g.Check(y, () => R.AveragePool(g[x], new[] { 3, 3 }, new[] { 2, 2 }, new[] { 0, 0, 0, 0 }, countIncludePad: false, ceil: true));
    }

    [Test]
    public void GlobalAveragePool_matches_finite_differences()
    {
        var g = new GradientCheck(27, 2, 3, 4, 5);
        string x = g.Param("x", new[] { 2, 4, 4, 5 });
        string y = g.B.Node("GlobalAveragePool", new[] { x });
        g.Check(y, () => R.GlobalAveragePool(g[x]));
    }
}
