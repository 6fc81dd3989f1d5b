using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>Who produces and who consumes each value of a graph, and which values are initializers.</summary>
internal sealed class GraphIndex
{
    public GraphIndex(GraphProto graph)
    {
        Graph = graph;
        foreach (var t in graph.Initializer) Initializers[t.Name] = t;
        foreach (var n in graph.Node)
        {
            foreach (var o in n.Output) Producers[o] = n;
            foreach (var i in n.Input)
            {
                if (i.Length == 0) continue;
                if (!Consumers.TryGetValue(i, out var list)) Consumers[i] = list = new List<NodeProto>();
                list.Add(n);
            }
        }
    }

    public GraphProto Graph { get; }

    public Dictionary<string, TensorProto> Initializers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, NodeProto> Producers { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, List<NodeProto>> Consumers { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<NodeProto> ConsumersOf(string value) =>
        Consumers.TryGetValue(value, out var list) ? list : Array.Empty<NodeProto>();

    public bool IsGraphOutput(string value) => Graph.Output.Any(o => o.Name == value);

    /// <summary>Replaces every use of <paramref name="from"/> (node inputs and graph outputs) by <paramref name="to"/>.</summary>
    public static void ReplaceUses(GraphProto graph, string from, string to)
    {
        foreach (var node in graph.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
        foreach (var o in graph.Output)
            if (o.Name == from) o.Name = to;
    }

    /// <summary>
    /// Removes initializers no node uses any more, and the graph inputs that only declared them (IR &lt; 4 models
    /// list every initializer as a graph input).
    /// </summary>
    public static void RemoveUnusedInitializers(GraphProto graph)
    {
        var used = new HashSet<string>(graph.Node.SelectMany(n => n.Input), StringComparer.Ordinal);
        foreach (var o in graph.Output) used.Add(o.Name);
        var removed = new HashSet<string>(StringComparer.Ordinal);
        for (int i = graph.Initializer.Count - 1; i >= 0; i--)
            if (!used.Contains(graph.Initializer[i].Name))
            {
                removed.Add(graph.Initializer[i].Name);
                graph.Initializer.RemoveAt(i);
            }
        for (int i = graph.Input.Count - 1; i >= 0; i--)
            if (removed.Contains(graph.Input[i].Name)) graph.Input.RemoveAt(i);
    }

    /// <summary>Removes every node <paramref name="value"/> does not depend on, and the initializers only they used.</summary>
    public static void KeepOnlyAncestors(GraphProto graph, string value)
    {
        var index = new GraphIndex(graph);
        var needed = new HashSet<NodeProto>();
        var stack = new Stack<string>(new[] { value });
        while (stack.Count > 0)
            if (index.Producers.TryGetValue(stack.Pop(), out var node) && needed.Add(node))
                foreach (var i in node.Input) stack.Push(i);
        for (int i = graph.Node.Count - 1; i >= 0; i--)
            if (!needed.Contains(graph.Node[i])) graph.Node.RemoveAt(i);
        RemoveUnusedInitializers(graph);
    }
}
