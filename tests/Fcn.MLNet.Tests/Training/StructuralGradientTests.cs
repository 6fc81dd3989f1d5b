using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Operators that move data (Concat, Slice, Pad, Reshape, Flatten, Transpose, Identity, Dropout).</summary>
public class StructuralGradientTests
{
    [Test]
    public void Concat_over_channels_matches_finite_differences()
    {
        var g = new GradientCheck(41, 1, 3, 4, 4);
        string a = g.Param("a", new[] { 1, 2, 3, 4 });
        string b = g.Param("b", new[] { 1, 3, 3, 4 });
        string y = g.B.Node("Concat", new[] { a, b, a }, Int("axis", 1));
        g.Check(y, () => R.Concat(1, g[a], g[b], g[a]));
    }

    [Test]
    public void Slice_crop_as_in_FCN_matches_finite_differences()
    {
        var g = new GradientCheck(42, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 3, 9, 8 });
        string y = g.B.Node("Slice", new[] { x, g.B.AddInt64s("starts", new long[] { 2, 1 }, 2), g.B.AddInt64s("ends", new long[] { 7, -2 }, 2),
            g.B.AddInt64s("axes", new long[] { 2, 3 }, 2) });
        g.Check(y, () => R.Slice(g[x], new[] { 2, 1 }, new[] { 7, 6 }, new[] { 2, 3 }, new[] { 1, 1 }));
    }

    [Test]
    public void Slice_with_steps_matches_finite_differences()
    {
        var g = new GradientCheck(43, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 2, 9, 8 });
        string y = g.B.Node("Slice", new[] { x, g.B.AddInt64s("starts", new long[] { 1, 7 }, 2), g.B.AddInt64s("ends", new long[] { 100, 0 }, 2),
            g.B.AddInt64s("axes", new long[] { 2, -1 }, 2), g.B.AddInt64s("steps", new long[] { 3, -2 }, 2) });
        g.Check(y, () => R.Slice(g[x], new[] { 1, 7 }, new[] { 9, 0 }, new[] { 2, 3 }, new[] { 3, -2 }));
    }

    [Test]
    public void Slice_with_bounds_from_a_shape_subgraph_matches_finite_differences()
    {
        // torch.onnx-style crop: ends computed from Shape(x) → Gather → Sub; the subgraph is not differentiated.
        var g = new GradientCheck(44, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 2, 8, 7 });
        string shape = g.B.Node("Shape", new[] { x });
        string hw = g.B.Node("Gather", new[] { shape, g.B.AddInt64s("hw_idx", new long[] { 2, 3 }, 2) }, Int("axis", 0));
        string ends = g.B.Node("Sub", new[] { hw, g.B.AddInt64s("one", new long[] { 1 }, 1) });
        string y = g.B.Node("Slice", new[] { x, g.B.AddInt64s("starts", new long[] { 1, 2 }, 2), ends, g.B.AddInt64s("axes", new long[] { 2, 3 }, 2) });
        g.Check(y, () => R.Slice(g[x], new[] { 1, 2 }, new[] { 7, 6 }, new[] { 2, 3 }, new[] { 1, 1 }));
    }

    private static void CheckPad(string mode, long[] pads, int seed)
    {
        var g = new GradientCheck(seed, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 2, 5, 6 });
        string y = g.B.Node("Pad", new[] { x, g.B.AddInt64s("pads", pads, 8) }, String("mode", mode));
        g.Check(y, () => R.Pad(g[x], pads.Select(p => (int)p).ToArray(), mode));
    }

    [Test]
    public void Constant_Pad_matches_finite_differences() => CheckPad("constant", new long[] { 0, 0, 2, 1, 0, 0, 1, 3 }, 45);

    [Test]
    public void Constant_Pad_with_negative_pads_matches_finite_differences()
    {
        var g = new GradientCheck(46, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 2, 5, 6 });
        var pads = new long[] { 0, 0, -1, 2, 0, 0, 1, -2 };
        string y = g.B.Node("Pad", new[] { x, g.B.AddInt64s("pads", pads, 8) });
        g.Check(y, () => R.Slice(R.Pad(g[x], new[] { 0, 0, 0, 2, 0, 0, 1, 0 }, "constant"), new[] { 1, 0 }, new[] { 6, 6 }, new[] { 2, 3 }, new[] { 1, 1 }));
    }

    [Test]
    public void Reflect_Pad_matches_finite_differences() => CheckPad("reflect", new long[] { 0, 0, 2, 1, 0, 0, 3, 2 }, 47);

    [Test]
    public void Edge_Pad_matches_finite_differences() => CheckPad("edge", new long[] { 0, 0, 1, 3, 0, 0, 2, 0 }, 48);

    [Test]
    public void Reshape_Flatten_Identity_and_Dropout_chain_matches_finite_differences()
    {
        var g = new GradientCheck(49, 2, 3, 4, 4);
        string x = g.Param("x", new[] { 2, 3, 4, 5 });
        string f = g.B.Node("Flatten", new[] { x }, Int("axis", 1));
        string d = g.B.Node("Dropout", new[] { f });
        string i = g.B.Node("Identity", new[] { d });
        string y = g.B.Node("Reshape", new[] { i, g.B.AddInt64s("shape", new long[] { 2, 6, 2, -1 }, 4) });
        g.Check(y, () => g[x].Reshape(2, 6, 2, 5));
    }

    [Test]
    public void Transpose_matches_finite_differences()
    {
        var g = new GradientCheck(50, 2, 3, 4, 4);
        string x = g.Param("x", new[] { 3, 4, 2, 5 });
        string y = g.B.Node("Transpose", new[] { x }, Ints("perm", 2, 0, 3, 1));
        g.Check(y, () => R.Transpose(g[x], new[] { 2, 0, 3, 1 }));
    }

    [Test]
    public void Unsqueeze_and_Squeeze_pass_gradients_through()
    {
        var g = new GradientCheck(51, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 3, 4, 5 });
        string u = g.B.Node("Unsqueeze", new[] { x, g.B.AddInt64s("axes0", new long[] { 0, 1 }, 2) });
        string s = g.B.Node("Squeeze", new[] { u, g.B.AddInt64s("axes1", new long[] { 1 }, 1) });
        g.Check(s, () => g[x].Reshape(1, 3, 4, 5));
    }

    [Test]
    public void Active_dropout_scales_kept_values_and_zeroes_dropped_gradients()
    {
        var g = new GradientCheck(52, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 4, 8, 8 });
        g.B.Node("Dropout", new[] { x, g.B.AddFloats("ratio", new[] { 0.5f }) });
        var model = g.Model(g.B.Graph.Node[^1].Output[0]);
        var graph = Fcn.MLNet.Training.Autodiff.GradientGraphBuilder.Build(model, new[] { x }, g.ImageShape,
            new() { ActiveDropout = true, DropoutSeed = 3, UpsampleScoresToInput = false });
        var dropout = graph.Model.Graph.Node.First(n => n.OpType == "Dropout");
        Assert.That(dropout.Input, Has.Count.EqualTo(3), "training_mode input added");
        Assert.That(dropout.Output, Has.Count.EqualTo(2), "mask output added");
        Assert.That(dropout.Attribute.Single(a => a.Name == "seed").I, Is.EqualTo(3));
        Assert.That(graph.Model.Graph.Node.Any(n => n.OpType == "Cast" && n.Input[0] == dropout.Output[1]), "gradient uses the mask");
    }
}
