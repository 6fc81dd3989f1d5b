using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Finds the parameters of a forward graph: the float initializers (rank ≥ 1) from which a path of differentiable
/// inputs over float values leads to the scores output (Conv weights and biases, BatchNormalization scale and bias,
/// Gemm and MatMul operands, …). Running statistics, shapes, Resize scales, scalar constants and float constants of
/// shape arithmetic (which would otherwise be shrunk by weight decay) are not parameters.
/// </summary>
public static class ParameterDiscovery
{
    /// <summary>The parameters of <paramref name="forward"/>, in initializer order.</summary>
    /// <param name="forward">The forward model.</param>
    /// <param name="scoresOutputName">The scores output; null for the model's only output.</param>
    public static IReadOnlyList<string> Find(ModelProto forward, string? scoresOutputName = null)
    {
        var graph = forward.Graph;
        string scores = scoresOutputName ?? (graph.Output.Count == 1
            ? graph.Output[0].Name
            : throw new InvalidDataException($"The model has {graph.Output.Count} outputs; name the scores output."));
        var types = ElementTypes.Infer(graph);

        // Walk back from the scores through differentiable inputs of float type.
        var reaches = new HashSet<string>(StringComparer.Ordinal) { scores };
        for (int i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (GradientRules.NonDifferentiable.Contains(node.OpType) || !node.Output.Any(reaches.Contains)) continue;
            GradientRules.All.TryGetValue(node.OpType, out var rule);
            for (int k = 0; k < node.Input.Count; k++)
            {
                string input = node.Input[k];
                if (input.Length > 0 && (rule?.IsDifferentiable(k) ?? true) && types.GetValueOrDefault(input, DataType.Float) == DataType.Float)
                    reaches.Add(input);
            }
        }
        return graph.Initializer
            .Where(t => t.DataType == (int)DataType.Float && t.Dims.Count >= 1 && reaches.Contains(t.Name))
            .Select(t => t.Name)
            .ToList();
    }

    /// <summary>Parameters that feed a bias slot (they get the bias learning-rate multiplier).</summary>
    public static IReadOnlySet<string> Biases(ModelProto forward)
    {
        var biases = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in forward.Graph.Node)
        {
            switch (node.OpType)
            {
                case "Conv" or "ConvTranspose" or "Gemm" or "BatchNormalization" when node.Input.Count > 2:
                    biases.Add(node.Input[2]);
                    break;
            }
        }
        return biases;
    }
}
