using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>
/// Folds inference-form batch normalization into the convolution before it:
/// <c>w' = w·γ/√(σ²+ε)</c> per output channel and <c>b' = (b − μ)·γ/√(σ²+ε) + β</c>. The folded net computes the
/// same function with one op fewer per layer, and its conv weights and biases are the trainable parameters.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Folds every BatchNormalization fed only by a Conv with initializer weights; returns how many were folded.</summary>
    public static int Fold(ModelProto model)
    {
        var graph = model.Graph;
        var index = new GraphIndex(graph);
        int folded = 0;
        foreach (var bn in graph.Node.Where(n => n.OpType == "BatchNormalization").ToList())
        {
            if (!index.Producers.TryGetValue(bn.Input[0], out var conv) || conv.OpType != "Conv") continue;
            if (index.ConsumersOf(conv.Output[0]).Count != 1 || index.IsGraphOutput(conv.Output[0])) continue;
            if (bn.Output.Skip(1).Any(o => o.Length > 0)) continue; // training-mode outputs in use
            if (!bn.Input.Skip(1).All(index.Initializers.ContainsKey) || !index.Initializers.TryGetValue(conv.Input[1], out var weight)) continue;
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !index.Initializers.ContainsKey(conv.Input[2])) continue;

            var gamma = OnnxTensor.ReadFloats(index.Initializers[bn.Input[1]]);
            var beta = OnnxTensor.ReadFloats(index.Initializers[bn.Input[2]]);
            var mean = OnnxTensor.ReadFloats(index.Initializers[bn.Input[3]]);
            var variance = OnnxTensor.ReadFloats(index.Initializers[bn.Input[4]]);
            float epsilon = OnnxAttribute.Find(bn, "epsilon")?.F ?? 1e-5f;
            var w = OnnxTensor.ReadFloats(weight);
            int outChannels = (int)weight.Dims[0];
            int perChannel = w.Length / outChannels;
            var bias = conv.Input.Count > 2 && conv.Input[2].Length > 0 ? OnnxTensor.ReadFloats(index.Initializers[conv.Input[2]]) : new float[outChannels];

            var newW = new float[w.Length];
            var newB = new float[outChannels];
            for (int c = 0; c < outChannels; c++)
            {
                double k = gamma[c] / Math.Sqrt(variance[c] + (double)epsilon);
                for (int i = 0; i < perChannel; i++) newW[c * perChannel + i] = (float)(w[c * perChannel + i] * k);
                newB[c] = (float)((bias[c] - mean[c]) * k + beta[c]);
            }
            string wName = Unique(index, conv.Input[1] + "_bnfold");
            string bName = Unique(index, conv.Output[0] + "_bias_bnfold");
            graph.Initializer.Add(OnnxTensor.Float(wName, newW, weight.Dims.ToArray()));
            graph.Initializer.Add(OnnxTensor.Float(bName, newB, outChannels));
            index.Initializers[wName] = graph.Initializer[^2];
            index.Initializers[bName] = graph.Initializer[^1];
            conv.Input[1] = wName;
            if (conv.Input.Count > 2) conv.Input[2] = bName; else conv.Input.Add(bName);

            graph.Node.Remove(bn);
            GraphIndex.ReplaceUses(graph, bn.Output[0], conv.Output[0]);
            folded++;
        }
        GraphIndex.RemoveUnusedInitializers(graph);
        return folded;
    }

    private static string Unique(GraphIndex index, string hint)
    {
        string name = hint;
        for (int i = 1; index.Initializers.ContainsKey(name) || index.Producers.ContainsKey(name); i++) name = $"{hint}_{i}";
        return name;
    }
}
