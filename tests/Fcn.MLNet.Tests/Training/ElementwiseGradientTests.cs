using Fcn.MLNet.Tests.Training.Support;
using static Fcn.MLNet.Onnx.OnnxAttribute;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Element-wise operators, with numpy broadcasting, against finite differences.</summary>
public class ElementwiseGradientTests
{
    private static void CheckBinary(string op, int[] a, int[] b, Func<double, double, double> f, double bOffset = 0, int seed = 31)
    {
        var g = new GradientCheck(seed, Math.Max(a[0], b.Length == 4 ? b[0] : 1), 3, 4, 4);
        string x = g.Param("a", a);
        string y = g.Param("b", b, 1, bOffset);
        string z = g.B.Node(op, new[] { x, y });
        g.Check(z, () => RefTensor.Broadcast(g[x], g[y], f));
    }

    [Test]
    public void Add_with_a_per_channel_operand_matches_finite_differences() =>
        CheckBinary("Add", new[] { 1, 3, 4, 5 }, new[] { 1, 3, 1, 1 }, (p, q) => p + q);

    [Test]
    public void Sub_with_a_lower_rank_operand_matches_finite_differences() =>
        CheckBinary("Sub", new[] { 2, 3, 4, 5 }, new[] { 3, 1, 5 }, (p, q) => p - q, seed: 32);

    [Test]
    public void Mul_of_equal_shapes_matches_finite_differences() =>
        CheckBinary("Mul", new[] { 1, 3, 4, 4 }, new[] { 1, 3, 4, 4 }, (p, q) => p * q, seed: 33);

    [Test]
    public void Mul_broadcasting_both_operands_matches_finite_differences() =>
        CheckBinary("Mul", new[] { 2, 1, 4, 1 }, new[] { 1, 3, 1, 5 }, (p, q) => p * q, seed: 34);

    [Test]
    public void Div_matches_finite_differences() =>
        CheckBinary("Div", new[] { 1, 3, 4, 4 }, new[] { 3, 1, 4 }, (p, q) => p / q, bOffset: 3, seed: 35);

    private static void CheckUnary(string op, Func<double, double> f, params Fcn.MLNet.Onnx.Proto.AttributeProto[] attributes)
    {
        var g = new GradientCheck(36, 2, 3, 4, 4);
        string x = g.Param("x", new[] { 2, 3, 4, 5 });
        string y = g.B.Node(op, new[] { x }, attributes);
        g.Check(y, () => g[x].Map(f));
    }

    [Test]
    public void Relu_matches_finite_differences() => CheckUnary("Relu", v => Math.Max(v, 0));

    [Test]
    public void LeakyRelu_matches_finite_differences() => CheckUnary("LeakyRelu", v => v > 0 ? v : 0.2 * v, Float("alpha", 0.2f));

    [Test]
    public void Sigmoid_matches_finite_differences() => CheckUnary("Sigmoid", v => 1 / (1 + Math.Exp(-v)));

    [Test]
    public void Clip_matches_finite_differences()
    {
        var g = new GradientCheck(37, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 3, 4, 5 }, 2);
        string y = g.B.Node("Clip", new[] { x, g.B.AddFloats("lo", new[] { -0.5f }), g.B.AddFloats("hi", new[] { 1f }) });
        g.Check(y, () => g[x].Map(v => Math.Clamp(v, -0.5, 1)));
    }
}
