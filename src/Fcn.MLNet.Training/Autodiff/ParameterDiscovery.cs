using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Finds the parameters of a forward graph: the float initializers (rank ≥ 1) that some node consumes through a
/// differentiable input (Conv weights and biases, BatchNormalization scale and bias, Gemm and MatMul operands, …).
/// Running statistics, shapes, Resize scales and scalar constants are not parameters.
/// </summary>
public static class ParameterDiscovery
{
    /// <summary>The parameters of <paramref name="forward"/>, in initializer order.</summary>
    public static IReadOnlyList<string> Find(ModelProto forward)
    {
        var graph = forward.Graph;
        var candidates = graph.Initializer
            .Where(t => t.DataType == (int)DataType.Float && t.Dims.Count >= 1)
            .Select(t => t.Name)
            .ToHashSet(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (!GradientRules.All.TryGetValue(node.OpType, out var rule)) continue;
            for (int i = 0; i < node.Input.Count; i++)
                if (rule.IsDifferentiable(i) && candidates.Contains(node.Input[i])) used.Add(node.Input[i]);
        }
        return graph.Initializer.Select(t => t.Name).Where(used.Contains).ToList();
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
