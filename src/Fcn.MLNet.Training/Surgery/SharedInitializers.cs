using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>
/// Gives every use of a float initializer its own copy. Exporters merge initializers that hold equal values:
/// <c>torch.onnx.export</c> in eval mode keeps one tensor and routes the other uses through <c>Identity</c> nodes, so
/// an FCN's bilinear-initialised <c>upscore2</c> and <c>upscore_pool4</c> arrive as one weight, and a BatchNorm scale
/// of ones can be the same tensor as a running variance of ones. Trained as found, such a weight would be tied (one
/// tensor receiving the summed gradients of every use) and a running statistic could be trained with it; PyTorch
/// trains them apart. Untying restores one tensor per use, named after the value the exporter gave that use.
/// </summary>
public static class SharedInitializers
{
    /// <summary>
    /// Untie in place: each <c>Identity</c> of an initializer becomes an initializer of its own (a copy under the
    /// Identity's output name), and an initializer read by several node inputs gets a copy per further input.
    /// Returns each new tensor's name and the tensor it was copied from.
    /// </summary>
    public static IReadOnlyList<(string Copy, string Original)> Untie(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.Where(IsFloat).ToDictionary(t => t.Name, StringComparer.Ordinal);
        var declaredAsInputs = graph.Input.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var outputs = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        var copies = new List<(string Copy, string Original)>();
        var names = new HashSet<string>(graph.Initializer.Select(t => t.Name)
            .Concat(graph.Input.Select(i => i.Name))
            .Concat(graph.Node.SelectMany(n => n.Output)), StringComparer.Ordinal);

        void AddCopy(TensorProto source, string name)
        {
            var copy = source.Clone();
            copy.Name = name;
            graph.Initializer.Add(copy);
            initializers[name] = copy;
            if (declaredAsInputs.TryGetValue(source.Name, out var declared))
            {
                var input = declared.Clone();
                input.Name = name;
                graph.Input.Add(input);
            }
            copies.Add((name, OriginOf(source.Name)));
        }
        string OriginOf(string name) => copies.FirstOrDefault(c => c.Copy == name).Original ?? name;

        // Identity(initializer) → an initializer of its own (chains resolve in node order, which is topological).
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            if (node.OpType != "Identity" || node.Input.Count != 1 || outputs.Contains(node.Output[0])
                || !initializers.TryGetValue(node.Input[0], out var source)) continue;
            AddCopy(source, node.Output[0]);
            graph.Node.RemoveAt(i--);
        }

        // An initializer read by several inputs: the first keeps it, each further one reads a copy.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            for (int k = 0; k < node.Input.Count; k++)
            {
                string name = node.Input[k];
                if (!initializers.TryGetValue(name, out var source) || seen.Add(name)) continue;
                string copy = Unique(names, name);
                AddCopy(source, copy);
                node.Input[k] = copy;
                seen.Add(copy);
            }
        }
        GraphIndex.RemoveUnusedInitializers(graph);
        return copies;
    }

    private static bool IsFloat(TensorProto t) => t.DataType == (int)TensorProto.Types.DataType.Float && t.Dims.Count >= 1;

    private static string Unique(HashSet<string> names, string stem)
    {
        for (int k = 1; ; k++)
        {
            string candidate = $"{stem}.untied{k}";
            if (names.Add(candidate)) return candidate;
        }
    }
}
