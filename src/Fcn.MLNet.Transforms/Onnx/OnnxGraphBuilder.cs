using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// Appends nodes, initializers, inputs and outputs to an ONNX <see cref="GraphProto"/>, giving every new value a
/// name that does not clash with any name already in the graph.
/// </summary>
public sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private int _counter;

    /// <summary>Starts a new graph, or continues an existing one (its names are reserved).</summary>
    public OnnxGraphBuilder(GraphProto? graph = null, string graphName = "graph")
    {
        Graph = graph ?? new GraphProto { Name = graphName };
        foreach (var v in Graph.Input) _names.Add(v.Name);
        foreach (var v in Graph.Output) _names.Add(v.Name);
        foreach (var t in Graph.Initializer) _names.Add(t.Name);
        foreach (var n in Graph.Node)
        {
            foreach (var o in n.Output) _names.Add(o);
            if (n.HasName) _names.Add(n.Name);
        }
    }

    private OnnxGraphBuilder(GraphProto graph, HashSet<string> names)
    {
        Graph = graph;
        _names = names;
    }

    /// <summary>The graph being built.</summary>
    public GraphProto Graph { get; }

    /// <summary>
    /// A builder for a subgraph (the body of a Loop or If) that shares this builder's names, so no name in the body
    /// clashes with one outside it; the body may read this graph's values and initializers.
    /// </summary>
    public OnnxGraphBuilder Subgraph(string graphName) => new(new GraphProto { Name = UniqueName(graphName) }, _names);

    /// <summary>Returns <paramref name="hint"/> if unused, else the hint with a numeric suffix; reserves it.</summary>
    public string UniqueName(string hint)
    {
        string name = hint;
        while (!_names.Add(name)) name = $"{hint}_{++_counter}";
        return name;
    }

    /// <summary>Declares a graph input; the name must be free.</summary>
    public string AddInput(string name, DataType type, params OnnxDim[] dims)
    {
        ReserveExact(name);
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph input under a unique name derived from <paramref name="hint"/>; returns that name.</summary>
    public string AddUniqueInput(string hint, DataType type, params OnnxDim[] dims)
    {
        string name = UniqueName(hint);
        Graph.Input.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a scalar (rank 0) graph input under a unique name derived from <paramref name="hint"/> (a Loop body's iteration count and condition).</summary>
    public string AddScalarInput(string hint, DataType type)
    {
        string name = UniqueName(hint);
        var info = ValueInfo(name, type);
        info.Type.TensorType.Shape = new TensorShapeProto();
        Graph.Input.Add(info);
        return name;
    }

    /// <summary>Declares an existing value as a graph output (dims may be empty for unknown rank).</summary>
    public void AddOutput(string name, DataType type, params OnnxDim[] dims) =>
        Graph.Output.Add(ValueInfo(name, type, dims));

    /// <summary>Adds an initializer under a unique name derived from the tensor's name; returns that name.</summary>
    public string AddInitializer(TensorProto tensor)
    {
        tensor.Name = UniqueName(tensor.Name);
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Adds a float initializer.</summary>
    public string AddFloats(string hint, ReadOnlySpan<float> data, params long[] dims) =>
        AddInitializer(OnnxTensor.Float(hint, data, dims));

    /// <summary>Adds an int64 initializer.</summary>
    public string AddInt64s(string hint, ReadOnlySpan<long> data, params long[] dims) =>
        AddInitializer(OnnxTensor.Int64(hint, data, dims));

    /// <summary>Adds a node with one output and returns the output's name.</summary>
    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, 1, opType.ToLowerInvariant(), attributes)[0];

    /// <summary>Adds a node with one output whose name is derived from <paramref name="outputHint"/>.</summary>
    public string NamedNode(string opType, string outputHint, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Node(opType, inputs, 1, outputHint, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] Node(string opType, IEnumerable<string> inputs, int outputCount, string outputHint,
        params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = opType, Name = UniqueName(outputHint + "_node") };
        node.Input.AddRange(inputs);
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++) outputs[i] = UniqueName(outputCount == 1 ? outputHint : $"{outputHint}_{i}");
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>Makes a <see cref="ValueInfoProto"/> for a tensor of the given element type and shape.</summary>
    public static ValueInfoProto ValueInfo(string name, DataType type, params OnnxDim[] dims)
    {
        var tensor = new TypeProto.Types.Tensor { ElemType = (int)type };
        if (dims.Length > 0)
        {
            tensor.Shape = new TensorShapeProto();
            foreach (var d in dims)
                tensor.Shape.Dim.Add(d.Value is long v
                    ? new TensorShapeProto.Types.Dimension { DimValue = v }
                    : new TensorShapeProto.Types.Dimension { DimParam = d.Symbol ?? "" });
        }
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensor } };
    }

    private void ReserveExact(string name)
    {
        if (!_names.Add(name)) throw new ArgumentException($"The graph already has a value named '{name}'.", nameof(name));
    }
}
