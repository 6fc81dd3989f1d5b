using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Learns the static shape of every value of a forward graph for one image shape by running it once in ONNX
/// Runtime with every intermediate value exposed as an output. Integer values (shape subgraphs) and small float
/// values are kept too, so backward rules can read Slice starts, Pad amounts, Reshape targets or Resize scales
/// whether they are initializers, Constant nodes or computed from <c>Shape</c>.
/// </summary>
internal static class ShapeProbe
{
    /// <summary>Float values with at most this many elements are recorded.</summary>
    public const int MaxFloatValues = 64;

    public static ValueFacts Run(ModelProto forward, string imageInput, long[] imageShape)
    {
        var model = forward.Clone();
        var graph = model.Graph;
        var types = ElementTypes.Infer(graph);
        var facts = new ValueFacts(types);
        facts.AddInitializers(graph, MaxFloatValues);
        facts.SetShape(imageInput, imageShape);

        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name), StringComparer.Ordinal);
        var declared = new HashSet<string>(graph.Output.Select(o => o.Name), StringComparer.Ordinal);
        graph.ValueInfo.Clear();
        foreach (var node in graph.Node)
            foreach (var o in node.Output)
                if (o.Length > 0 && declared.Add(o))
                    graph.Output.Add(OnnxGraphBuilder.ValueInfo(o, types.TryGetValue(o, out var t) ? t : DataType.Float));
        // Outputs that are graph inputs or initializers are not computed by the session; drop them.
        var kept = graph.Output.Where(o => !initializers.Contains(o.Name) && o.Name != imageInput).ToList();
        graph.Output.Clear();
        graph.Output.AddRange(kept);

        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL;
        using var session = new InferenceSession(model.ToByteArray(), options);
        var image = new float[imageShape.Aggregate(1L, (a, d) => a * d)];
        using var imageValue = OrtValue.CreateTensorValueFromMemory(image, imageShape);
        var outputNames = graph.Output.Select(o => o.Name).ToArray();
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { imageInput }, new[] { imageValue }, outputNames);
        for (int i = 0; i < outputNames.Length; i++)
        {
            var value = results[i];
            if (!value.IsTensor) continue;
            var info = value.GetTensorTypeAndShape();
            string name = outputNames[i];
            facts.SetShape(name, info.Shape);
            switch (info.ElementDataType)
            {
                case TensorElementType.Int64:
                    facts.SetInts(name, value.GetTensorDataAsSpan<long>().ToArray());
                    break;
                case TensorElementType.Int32:
                    facts.SetInts(name, value.GetTensorDataAsSpan<int>().ToArray().Select(v => (long)v).ToArray());
                    break;
                case TensorElementType.Bool:
                    facts.SetInts(name, value.GetTensorDataAsSpan<bool>().ToArray().Select(v => v ? 1L : 0L).ToArray());
                    break;
                case TensorElementType.Float when info.ElementCount <= MaxFloatValues:
                    facts.SetFloats(name, value.GetTensorDataAsSpan<float>().ToArray());
                    break;
            }
        }
        return facts;
    }
}
