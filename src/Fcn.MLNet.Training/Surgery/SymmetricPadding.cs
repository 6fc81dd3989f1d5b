using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>
/// Gives strided convolutions and poolings their trailing pad back. Exporters such as CNTK write "same" padding for
/// the even canonical size (ResNet18: conv1 pads 3,3,2,2; stride-2 3×3 convs 1,1,0,0), which makes a residual
/// branch one pixel shorter than its 1×1 shortcut at odd sizes. With end pads raised to the begin pads, outputs are
/// unchanged at even sizes (no kernel reaches the added row) and branch sizes agree at every size.
/// </summary>
public static class SymmetricPadding
{
    /// <summary>Applies the fix in place; returns the number of nodes changed.</summary>
    public static int Apply(ModelProto model)
    {
        int changed = 0;
        foreach (var node in model.Graph.Node.Where(n => n.OpType is "Conv" or "MaxPool" or "AveragePool"))
        {
            var pads = OnnxAttribute.Find(node, "pads");
            var strides = OnnxAttribute.Find(node, "strides");
            if (pads is null || strides is null || strides.Ints.All(s => s == 1)) continue;
            int rank = pads.Ints.Count / 2;
            bool any = false;
            for (int i = 0; i < rank; i++)
                if (pads.Ints[rank + i] < pads.Ints[i])
                {
                    pads.Ints[rank + i] = pads.Ints[i];
                    any = true;
                }
            if (any) changed++;
        }
        return changed;
    }
}
