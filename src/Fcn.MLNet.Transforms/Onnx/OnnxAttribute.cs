using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;

namespace Fcn.MLNet.Onnx;

/// <summary>Factories for ONNX node attributes (<see cref="AttributeProto"/>), one per attribute type.</summary>
public static class OnnxAttribute
{
    /// <summary>An INT attribute.</summary>
    public static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    /// <summary>An INTS attribute.</summary>
    public static AttributeProto Ints(string name, params long[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    /// <summary>A FLOAT attribute.</summary>
    public static AttributeProto Float(string name, float value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = value };

    /// <summary>A FLOATS attribute.</summary>
    public static AttributeProto Floats(string name, params float[] values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Floats };
        a.Floats.AddRange(values);
        return a;
    }

    /// <summary>A STRING attribute (UTF-8).</summary>
    public static AttributeProto String(string name, string value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A TENSOR attribute (e.g. the value of a Constant node).</summary>
    public static AttributeProto Tensor(string name, TensorProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Tensor, T = value };

    /// <summary>A GRAPH attribute (e.g. the body of a Loop).</summary>
    public static AttributeProto Graph(string name, GraphProto value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Graph, G = value };

    /// <summary>Finds an attribute of a node by name, or null.</summary>
    public static AttributeProto? Find(NodeProto node, string name) =>
        node.Attribute.FirstOrDefault(a => a.Name == name);
}
