using System.Runtime.InteropServices;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// FCN upsampling layers are ConvTranspose with a bilinear kernel per class and zeros between classes (the paper's
/// fixed final upsampling, <c>upscore8</c>/<c>upscore</c>): a C × C × k × k weight of which only the diagonal is used.
/// Rewritten as the same ConvTranspose with <c>group = C</c> and a C × 1 × k × k weight, ONNX Runtime skips the zero
/// products: the final ×8 upsampling of the CamVid FCN-8s took a fifth of its inference time. Only exact zeros off the
/// diagonal qualify, so every output is the same sum of the same products.
/// </summary>
internal static class DiagonalUpsampling
{
    /// <summary>Rewrites every qualifying ConvTranspose of <paramref name="graph"/>; returns how many.</summary>
    public static int Apply(GraphProto graph)
    {
        var initializers = graph.Initializer.ToDictionary(t => t.Name);
        var uses = graph.Node.SelectMany(n => n.Input).GroupBy(i => i).ToDictionary(g => g.Key, g => g.Count());
        int rewritten = 0;
        foreach (var node in graph.Node.Where(n => n.OpType == "ConvTranspose" && n.Input.Count >= 2))
        {
            if (node.Attribute.Any(a => a.Name == "group" && a.I != 1)) continue;
            if (!initializers.TryGetValue(node.Input[1], out var weight) || uses[node.Input[1]] != 1) continue;
            if (weight.DataType != (int)TensorProto.Types.DataType.Float || weight.Dims.Count != 4 || weight.Dims[0] != weight.Dims[1] || weight.Dims[0] < 2) continue;
            int c = (int)weight.Dims[0], k = (int)(weight.Dims[2] * weight.Dims[3]);
            var w = OnnxTensor.ReadFloats(weight);
            bool diagonal = true;
            for (int i = 0; i < c && diagonal; i++)
                for (int j = 0; j < c && diagonal; j++)
                    if (i != j)
                        for (int p = 0; p < k; p++)
                            if (w[(i * c + j) * k + p] != 0) { diagonal = false; break; }
            if (!diagonal) continue;
            var kernel = new float[c * k];
            for (int i = 0; i < c; i++) Array.Copy(w, (i * c + i) * k, kernel, i * k, k);
            weight.Dims[1] = 1;
            weight.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(kernel.AsSpan()));
            weight.FloatData.Clear();
            if (node.Attribute.FirstOrDefault(a => a.Name == "group") is { } group) node.Attribute.Remove(group);
            node.Attribute.Add(OnnxAttribute.Int("group", c));
            rewritten++;
        }
        return rewritten;
    }
}
