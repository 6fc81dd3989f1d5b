using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>
/// Moves a classifier exported at an old opset (e.g. CNTK's ResNet18 at opset 8) to <see cref="TargetOpset"/>, so
/// that new nodes (Resize, Slice with inputs, …) can be added. Only ops whose meaning is known to carry over are
/// accepted; the few whose signature changed are rewritten; anything else is an error naming the op and node.
/// </summary>
public static class OpsetUpgrade
{
    /// <summary>The opset Fcn.MLNet builds FCNs at.</summary>
    public const int TargetOpset = 13;

    private static readonly HashSet<string> Unchanged = new(StringComparer.Ordinal)
    {
        "Conv", "ConvTranspose", "Relu", "LeakyRelu", "Sigmoid", "MaxPool", "AveragePool", "GlobalAveragePool",
        "GlobalMaxPool", "Add", "Sub", "Mul", "Div", "Sum", "Concat", "Flatten", "Gemm", "MatMul", "Transpose",
        "Identity", "Constant", "Shape", "Gather", "LRN",
    };

    /// <summary>Upgrades in place; a model already at or above the target is left alone.</summary>
    public static void Upgrade(ModelProto model)
    {
        long opset = OnnxModelFile.DefaultDomainOpset(model);
        if (opset >= TargetOpset) return;
        var graph = model.Graph;
        var builder = new OnnxGraphBuilder(graph);
        foreach (var node in graph.Node.ToList())
        {
            if (node.HasDomain && node.Domain is not ("" or "ai.onnx"))
                throw new NotSupportedException($"Cannot upgrade node '{node.Name}' of domain '{node.Domain}' from opset {opset}.");
            switch (node.OpType)
            {
                case var op when Unchanged.Contains(op):
                    break;
                case "BatchNormalization":
                    // 'spatial' (removed in 9) must be 1; 'is_test'/'consumed_inputs' are from opset 1–6.
                    var spatial = OnnxAttribute.Find(node, "spatial");
                    if (spatial is not null && spatial.I != 1)
                        throw new NotSupportedException($"BatchNormalization '{node.Name}' has spatial=0, which opset {TargetOpset} cannot express.");
                    RemoveAttributes(node, "spatial", "is_test", "consumed_inputs");
                    break;
                case "Dropout":
                    // Inference identity; since opset 12 the ratio is an input.
                    var ratio = OnnxAttribute.Find(node, "ratio");
                    RemoveAttributes(node, "ratio", "is_test");
                    if (node.Input.Count == 1)
                        node.Input.Add(builder.AddInitializer(OnnxTensor.Float(node.Name + "_ratio", new[] { ratio?.F ?? 0.5f })));
                    break;
                case "Reshape" when opset < 5:
                    var shape = OnnxAttribute.Find(node, "shape") ?? throw new InvalidDataException($"Reshape '{node.Name}' has no shape.");
                    node.Input.Add(builder.AddInt64s(node.Name + "_shape", shape.Ints.ToArray(), shape.Ints.Count));
                    RemoveAttributes(node, "shape");
                    break;
                case "Reshape":
                    break;
                default:
                    throw new NotSupportedException(
                        $"Cannot move op {node.OpType} (node '{node.Name}') from opset {opset} to {TargetOpset}; re-export the model at opset {TargetOpset} or newer.");
            }
        }
        foreach (var o in model.OpsetImport.Where(o => !o.HasDomain || o.Domain is "" or "ai.onnx")) o.Version = TargetOpset;
        if (model.IrVersion < 7) model.IrVersion = 7;
    }

    private static void RemoveAttributes(NodeProto node, params string[] names)
    {
        for (int i = node.Attribute.Count - 1; i >= 0; i--)
            if (names.Contains(node.Attribute[i].Name)) node.Attribute.RemoveAt(i);
    }
}
