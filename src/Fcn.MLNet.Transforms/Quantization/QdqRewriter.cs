using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Quantization;

/// <summary>
/// Rewrites a float graph into ONNX's QDQ form following a <see cref="QuantizationPlan"/> and measured ranges:
/// <list type="bullet">
/// <item>each planned activation gets QuantizeLinear → DequantizeLinear (uint8, per tensor, the range widened to
/// contain 0; zero point 0 where the range starts at 0, which also does a folded Relu's work);</item>
/// <item>each quantized convolution's weights become int8 per output channel (symmetric, scale = max|w| / 127) with a
/// DequantizeLinear, and its bias int32 with scale = input scale × weight scale, as ONNX Runtime's QDQ fusion expects.</item>
/// </list>
/// The float graph's values keep their names, types and shapes (declared shapes stay valid); every other node is left
/// as it is.
/// </summary>
internal static class QdqRewriter
{
    /// <summary>Rewrites <paramref name="model"/> in place (the caller owns a copy of the float graph).</summary>
    public static void Apply(ModelProto model, QuantizationPlan plan, IReadOnlyDictionary<string, (float Low, float High)> ranges)
    {
        var graph = model.Graph;
        var b = new OnnxGraphBuilder(graph);
        var initializers = graph.Initializer.ToDictionary(t => t.Name);

        // Quantization parameters of every planned activation.
        var parameters = new Dictionary<string, (float Scale, byte ZeroPoint, string ScaleName, string ZeroPointName)>();
        foreach (var (tensor, _) in plan.Activations)
        {
            string root = plan.ParameterSource(tensor);
            if (parameters.TryGetValue(root, out var shared)) { parameters[tensor] = shared; continue; }
            if (!ranges.TryGetValue(root, out var range))
                throw new InvalidOperationException($"quantization: no calibrated range for '{root}'.");
            var (scale, zero) = ActivationParameters(range.Low, range.High);
            parameters[tensor] = parameters[root] = (scale, zero,
                b.AddInitializer(OnnxTensor.Float(root + "_scale", new[] { scale })),
                b.AddInitializer(OnnxTensor.UInt8(root + "_zero_point", new[] { zero })));
        }

        // QuantizeLinear → DequantizeLinear pairs, emitted right after the node that makes their source. The pair's
        // DequantizeLinear takes over the activation's name (its producer's output is renamed), so every consumer and
        // graph output reads the quantized value; a graph input keeps its name and its consumers are rewired instead.
        var graphInputs = graph.Input.Select(i => i.Name).ToHashSet();
        var renamedInputs = new Dictionary<string, string>();
        var pairsBySource = plan.Activations.ToLookup(a => a.Source);
        var nodes = new List<NodeProto>();
        void EmitPairs(string source, string produced)
        {
            foreach (var (tensor, _) in pairsBySource[source])
            {
                var p = parameters[tensor];
                string q = b.UniqueName(tensor + "_quantized");
                nodes.Add(Make(b, "QuantizeLinear", q, produced, p.ScaleName, p.ZeroPointName));
                string dq = graphInputs.Contains(tensor) ? renamedInputs[tensor] = b.UniqueName(tensor + "_dequantized") : tensor;
                nodes.Add(Make(b, "DequantizeLinear", dq, q, p.ScaleName, p.ZeroPointName));
            }
        }
        foreach (var input in graph.Input) EmitPairs(input.Name, input.Name);
        var removedInitializers = new HashSet<string>();
        for (int n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n]; // in the order the plan numbered them
            if (plan.FoldedRelus.Contains(n)) continue;
            string floatInput = node.Input.Count > 0 ? node.Input[0] : "";
            for (int i = 0; i < node.Input.Count; i++)
                if (renamedInputs.TryGetValue(node.Input[i], out var dq)) node.Input[i] = dq;
            if (plan.Convolutions.Contains(n))
                QuantizeWeights(node, b, initializers, parameters[floatInput].Scale, nodes, removedInitializers);
            nodes.Add(node);
            for (int o = 0; o < node.Output.Count; o++)
            {
                string output = node.Output[o];
                if (!pairsBySource.Contains(output)) continue;
                // The float value moves to a new name when a pair takes over the name itself (no folded Relu).
                if (pairsBySource[output].Any(a => a.Tensor == output)) node.Output[o] = b.UniqueName(output + "_float");
                EmitPairs(output, node.Output[o]);
            }
        }
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        foreach (var name in removedInitializers)
            if (!graph.Node.Any(n => n.Input.Contains(name))) graph.Initializer.Remove(initializers[name]);
    }

    /// <summary>uint8 scale and zero point for [low, high], the range widened to contain 0.</summary>
    internal static (float Scale, byte ZeroPoint) ActivationParameters(float low, float high)
    {
        low = Math.Min(low, 0);
        high = Math.Max(high, 0);
        if (high - low < 1e-8f) high = low + 1e-8f;
        float scale = (high - low) / 255f;
        int zero = (int)Math.Round(-low / scale, MidpointRounding.ToEven);
        return (scale, (byte)Math.Clamp(zero, 0, 255));
    }

    private static void QuantizeWeights(NodeProto conv, OnnxGraphBuilder b, IReadOnlyDictionary<string, TensorProto> initializers, float inputScale,
        List<NodeProto> nodes, HashSet<string> removed)
    {
        var weight = initializers[conv.Input[1]];
        var w = OnnxTensor.ReadFloats(weight);
        int outputs = (int)weight.Dims[0], perChannel = w.Length / outputs;
        var scales = new float[outputs];
        var q = new sbyte[w.Length];
        for (int c = 0; c < outputs; c++)
        {
            float max = 0;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++) max = Math.Max(max, Math.Abs(w[i]));
            scales[c] = max > 0 ? max / 127f : 1f;
            for (int i = c * perChannel; i < (c + 1) * perChannel; i++)
                q[i] = (sbyte)Math.Clamp((int)Math.Round(w[i] / scales[c], MidpointRounding.ToEven), -127, 127);
        }
        string stem = weight.Name;
        string scaleName = b.AddInitializer(OnnxTensor.Float(stem + "_scale", scales, outputs));
        string zeroName = b.AddInitializer(OnnxTensor.Int8(stem + "_zero_point", new sbyte[outputs], outputs));
        string quantized = b.AddInitializer(OnnxTensor.Int8(stem + "_quantized", q, weight.Dims.ToArray()));
        string dq = b.UniqueName(stem + "_dequantized");
        nodes.Add(Make(b, "DequantizeLinear", dq, quantized, scaleName, zeroName, axis: 0));
        removed.Add(conv.Input[1]);
        conv.Input[1] = dq;

        if (conv.Input.Count > 2 && conv.Input[2].Length > 0)
        {
            var bias = initializers[conv.Input[2]];
            var values = OnnxTensor.ReadFloats(bias);
            var biasScales = new float[outputs];
            var biasQ = new int[outputs];
            for (int c = 0; c < outputs; c++)
            {
                biasScales[c] = inputScale * scales[c];
                biasQ[c] = (int)Math.Clamp(Math.Round(values[c] / biasScales[c], MidpointRounding.ToEven), int.MinValue, int.MaxValue);
            }
            string bStem = bias.Name;
            string bScale = b.AddInitializer(OnnxTensor.Float(bStem + "_scale", biasScales, outputs));
            string bZero = b.AddInitializer(OnnxTensor.Int32(bStem + "_zero_point", new int[outputs], outputs));
            string bQuantized = b.AddInitializer(OnnxTensor.Int32(bStem + "_quantized", biasQ, outputs));
            string bDq = b.UniqueName(bStem + "_dequantized");
            nodes.Add(Make(b, "DequantizeLinear", bDq, bQuantized, bScale, bZero, axis: 0));
            removed.Add(conv.Input[2]);
            conv.Input[2] = bDq;
        }
    }

    private static NodeProto Make(OnnxGraphBuilder b, string opType, string output, string input, string scale, string zeroPoint, long? axis = null)
    {
        var node = new NodeProto { OpType = opType, Name = b.UniqueName(output + "_node") };
        node.Input.Add(input);
        node.Input.Add(scale);
        node.Input.Add(zeroPoint);
        node.Output.Add(output);
        if (axis is long a) node.Attribute.Add(OnnxAttribute.Int("axis", a));
        return node;
    }
}
