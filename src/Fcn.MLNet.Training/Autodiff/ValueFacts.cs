using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// What is known about the values of a forward graph for one input shape: the static shape and element type of
/// every value, and the contents of the small constant ones (initializers, Constant nodes, and the results of
/// shape subgraphs such as Shape → Gather → Concat).
/// </summary>
internal sealed class ValueFacts
{
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long[]> _ints = new(StringComparer.Ordinal);
    private readonly Dictionary<string, float[]> _floats = new(StringComparer.Ordinal);

    public ValueFacts(Dictionary<string, DataType> types) => Types = types;

    public Dictionary<string, DataType> Types { get; }

    public void SetShape(string name, long[] shape) => _shapes[name] = shape;

    public void SetInts(string name, long[] values) => _ints[name] = values;

    public void SetFloats(string name, float[] values) => _floats[name] = values;

    public bool HasShape(string name) => _shapes.ContainsKey(name);

    /// <summary>The static shape of a value; throws naming the value when it is unknown.</summary>
    public long[] Shape(string name) =>
        _shapes.TryGetValue(name, out var s) ? s : throw new InvalidOperationException($"No static shape is known for value '{name}'.");

    public DataType TypeOf(string name) => Types.TryGetValue(name, out var t) ? t : DataType.Float;

    /// <summary>Integer contents of a constant value (int64, int32 or bool data), or null.</summary>
    public long[]? Ints(string name) => name.Length > 0 && _ints.TryGetValue(name, out var v) ? v : null;

    /// <summary>Float contents of a small constant value, or null.</summary>
    public float[]? Floats(string name) => name.Length > 0 && _floats.TryGetValue(name, out var v) ? v : null;

    /// <summary>Records shapes and contents of the graph's initializers.</summary>
    public void AddInitializers(GraphProto graph, int maxFloatValues)
    {
        foreach (var t in graph.Initializer)
        {
            SetShape(t.Name, t.Dims.ToArray());
            switch ((DataType)t.DataType)
            {
                case DataType.Int64:
                    SetInts(t.Name, OnnxTensor.ReadInt64s(t));
                    break;
                case DataType.Int32:
                    SetInts(t.Name, ReadInt32s(t));
                    break;
                case DataType.Float when OnnxTensor.ElementCount(t) <= maxFloatValues:
                    SetFloats(t.Name, OnnxTensor.ReadFloats(t));
                    break;
            }
        }
    }

    private static long[] ReadInt32s(TensorProto t)
    {
        if (t.HasRawData)
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(t.RawData.Span).ToArray().Select(v => (long)v).ToArray();
        return t.Int32Data.Select(v => (long)v).ToArray();
    }
}
