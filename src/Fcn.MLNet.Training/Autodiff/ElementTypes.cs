using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Infers the element type of every value of a graph from its inputs, initializers and a few operator rules
/// (shape, comparison and cast operators change the type; every other operator keeps its first input's).
/// </summary>
internal static class ElementTypes
{
    private static readonly HashSet<string> BoolOutputs = new(StringComparer.Ordinal)
    {
        "Equal", "Greater", "Less", "GreaterOrEqual", "LessOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf",
    };

    public static Dictionary<string, DataType> Infer(GraphProto graph)
    {
        var types = new Dictionary<string, DataType>(StringComparer.Ordinal);
        foreach (var t in graph.Initializer) types[t.Name] = (DataType)t.DataType;
        foreach (var v in graph.Input)
            if (v.Type?.TensorType is { } tt && !types.ContainsKey(v.Name)) types[v.Name] = (DataType)tt.ElemType;

        foreach (var node in graph.Node)
        {
            for (int i = 0; i < node.Output.Count; i++)
            {
                if (node.Output[i].Length == 0) continue;
                types[node.Output[i]] = OutputType(node, i, types);
            }
        }
        return types;
    }

    private static DataType OutputType(NodeProto node, int index, Dictionary<string, DataType> types)
    {
        DataType InputType(int i) =>
            i < node.Input.Count && types.TryGetValue(node.Input[i], out var t) ? t : DataType.Float;

        switch (node.OpType)
        {
            case "Shape":
            case "Size":
            case "NonZero":
            case "ArgMax":
            case "ArgMin":
                return DataType.Int64;
            case "Cast":
                return (DataType)(OnnxAttribute.Find(node, "to")?.I ?? (long)DataType.Float);
            case "Constant":
                return ConstantType(node);
            case "ConstantOfShape":
                return OnnxAttribute.Find(node, "value")?.T is { } v ? (DataType)v.DataType : DataType.Float;
            case "MaxPool" when index == 1:
                return DataType.Int64;
            case "Dropout" when index == 1:
                return DataType.Bool;
            case "Where":
                return InputType(1);
            case "OneHot":
                return InputType(2);
            case "SoftmaxCrossEntropyLoss":
                return InputType(0);
            default:
                return BoolOutputs.Contains(node.OpType) ? DataType.Bool : InputType(0);
        }
    }

    private static DataType ConstantType(NodeProto node)
    {
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value": return (DataType)a.T.DataType;
                case "value_float":
                case "value_floats": return DataType.Float;
                case "value_int":
                case "value_ints": return DataType.Int64;
            }
        }
        return DataType.Float;
    }
}
