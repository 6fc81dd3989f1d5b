using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Quantization;

/// <summary>
/// Which parts of an FCN graph run in int8, decided from the graph alone (before calibration). Convolutions with
/// constant weights are quantized (weights per output channel, their input and output activations per tensor), except
/// the score layers (convolutions downstream of which no other convolution runs: the heads that output one channel per
/// class) unless asked; an Add whose inputs are both quantized is quantized too, and a MaxPool of a quantized
/// tensor keeps its input's quantization. A Relu that is the only consumer of a quantized output is folded into that
/// output's quantization (a zero point of 0 clamps negatives exactly as Relu does). Everything else — the upsampling,
/// crops, the fusing of score maps — stays in float. This is the layout ONNX Runtime fuses into QLinearConv and
/// QLinearAdd kernels.
/// </summary>
internal sealed class QuantizationPlan
{
    private QuantizationPlan() { }

    /// <summary>The convolutions to quantize, by position in the graph's node list.</summary>
    public HashSet<int> Convolutions { get; } = new();

    /// <summary>The Relu nodes folded into the quantization of their input, by position.</summary>
    public HashSet<int> FoldedRelus { get; } = new();

    /// <summary>
    /// Every activation that gets a QuantizeLinear → DequantizeLinear pair, in graph order: the tensor as the float
    /// graph names it (a folded Relu's output), and the tensor that feeds the QuantizeLinear (the Relu's input then).
    /// </summary>
    public List<(string Tensor, string Source)> Activations { get; } = new();

    /// <summary>Activations that take another's quantization parameters (a MaxPool's output takes its input's).</summary>
    private Dictionary<string, string> SameParametersAs { get; } = new();

    /// <summary>The activations whose ranges calibration must measure.</summary>
    public IEnumerable<string> CalibratedTensors => Activations.Select(a => a.Tensor).Where(t => !SameParametersAs.ContainsKey(t));

    /// <summary>The calibrated activation whose range sets <paramref name="tensor"/>'s quantization: itself, or the one it shares.</summary>
    public string ParameterSource(string tensor) => SameParametersAs.TryGetValue(tensor, out var other) ? other : tensor;

    /// <summary>Plans the quantization of <paramref name="graph"/> (nodes in topological order).</summary>
    public static QuantizationPlan Build(GraphProto graph, bool quantizeScoreLayers, string source)
    {
        var plan = new QuantizationPlan();
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var feedsConvolution = TensorsFeedingConvolutions(graph, initializers);
        var consumers = new Dictionary<string, List<int>>();
        for (int n = 0; n < graph.Node.Count; n++)
            foreach (var input in graph.Node[n].Input.Where(i => i.Length > 0))
                (consumers.TryGetValue(input, out var list) ? list : consumers[input] = new()).Add(n);
        var graphOutputs = graph.Output.Select(o => o.Name).ToHashSet();
        var quantized = new HashSet<string>(); // activations already in the int8 domain
        var planned = new HashSet<string>();

        void Plan(string tensor, string sourceTensor)
        {
            if (planned.Add(tensor)) plan.Activations.Add((tensor, sourceTensor));
            quantized.Add(tensor);
        }
        // A quantized node's output; a lone Relu consumer is folded into it.
        void PlanOutput(string output)
        {
            if (!graphOutputs.Contains(output) && consumers.TryGetValue(output, out var users) && users.Count == 1
                && graph.Node[users[0]].OpType == "Relu" && graph.Node[users[0]].Input.Count == 1)
            {
                plan.FoldedRelus.Add(users[0]);
                Plan(graph.Node[users[0]].Output[0], output);
            }
            else Plan(output, output);
        }

        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            switch (node.OpType)
            {
                case "Conv" when HasConstantWeights(node, initializers) && (quantizeScoreLayers || feedsConvolution.Contains(node.Output[0])):
                    plan.Convolutions.Add(n);
                    if (!quantized.Contains(node.Input[0])) Plan(node.Input[0], node.Input[0]);
                    PlanOutput(node.Output[0]);
                    break;
                case "Add" when node.Input.Count == 2 && node.Input.All(quantized.Contains):
                    PlanOutput(node.Output[0]);
                    break;
                case "MaxPool" when quantized.Contains(node.Input[0]) && node.Output.Count == 1:
                    Plan(node.Output[0], node.Output[0]);
                    plan.SameParametersAs[node.Output[0]] = plan.ParameterSource(node.Input[0]);
                    break;
            }
        }
        if (plan.Convolutions.Count == 0)
            throw new InvalidDataException($"{source}: no convolution with constant weights to quantize was found (expected a fully convolutional network with Conv nodes).");
        return plan;
    }

    private static bool HasConstantWeights(NodeProto conv, IReadOnlyDictionary<string, TensorProto> initializers) =>
        conv.Input.Count >= 2 && initializers.TryGetValue(conv.Input[1], out var weight) && weight.Dims.Count == 4
        && weight.DataType == (int)TensorProto.Types.DataType.Float
        && (conv.Input.Count < 3 || conv.Input[2].Length == 0 || initializers.ContainsKey(conv.Input[2]));

    /// <summary>The tensors from which some convolution with constant weights is reached (walking the graph backwards).</summary>
    private static HashSet<string> TensorsFeedingConvolutions(GraphProto graph, IReadOnlyDictionary<string, TensorProto> initializers)
    {
        var feeding = new HashSet<string>();
        foreach (var node in graph.Node.Reverse())
        {
            bool reaches = (node.OpType == "Conv" && HasConstantWeights(node, initializers)) || node.Output.Any(feeding.Contains);
            if (!reaches) continue;
            foreach (var input in node.Input.Where(i => i.Length > 0 && !initializers.ContainsKey(i))) feeding.Add(input);
        }
        return feeding;
    }
}
