using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>
/// The output stride (input pixels per feature-map pixel) of every value in a convolutional trunk: convolutions and
/// poolings multiply by their stride, transposed convolutions divide, everything else keeps the largest stride of its
/// inputs. Global pooling ends the analysis (stride <see cref="Global"/>).
/// </summary>
public static class StrideAnalysis
{
    /// <summary>Stride of values after a global pooling.</summary>
    public const int Global = int.MaxValue;

    /// <summary>Computes strides for every value reachable from the image input.</summary>
    public static Dictionary<string, int> Compute(GraphProto graph, string inputName)
    {
        var stride = new Dictionary<string, int>(StringComparer.Ordinal) { [inputName] = 1 };
        foreach (var node in graph.Node)
        {
            var known = node.Input.Where(stride.ContainsKey).Select(i => stride[i]).ToList();
            if (known.Count == 0) continue;
            int s = known.Max();
            if (s != Global)
            {
                switch (node.OpType)
                {
                    case "Conv" or "MaxPool" or "AveragePool" or "LpPool":
                        s *= (int)(OnnxAttribute.Find(node, "strides")?.Ints.FirstOrDefault() ?? 1);
                        break;
                    case "ConvTranspose":
                        s /= (int)(OnnxAttribute.Find(node, "strides")?.Ints.FirstOrDefault() ?? 1);
                        break;
                    case "GlobalAveragePool" or "GlobalMaxPool" or "Flatten":
                        s = Global;
                        break;
                }
            }
            foreach (var o in node.Output) stride[o] = s;
        }
        return stride;
    }
}
