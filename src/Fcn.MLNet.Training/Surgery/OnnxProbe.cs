using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>Runs a model once on a given input to read intermediate values (ONNX has no shape inference here).</summary>
public static class OnnxProbe
{
    /// <summary>
    /// Feeds <paramref name="input"/> (shape <paramref name="inputShape"/>) and returns the named float values with
    /// their shapes. The model is not modified.
    /// </summary>
    public static Dictionary<string, (long[] Shape, float[] Values)> Run(ModelProto model, float[] input, long[] inputShape, params string[] values)
    {
        var probe = model.Clone();
        probe.Graph.Output.Clear();
        foreach (var v in values.Distinct()) probe.Graph.Output.Add(OnnxGraphBuilder.ValueInfo(v, DataType.Float));
        var initializers = new HashSet<string>(probe.Graph.Initializer.Select(t => t.Name));
        string inputName = probe.Graph.Input.First(i => !initializers.Contains(i.Name)).Name;
        using var options = new SessionOptions { LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        using var session = new InferenceSession(probe.ToByteArray(), options);
        using var tensor = OrtValue.CreateTensorValueFromMemory(input, inputShape);
        using var runOptions = new RunOptions();
        var names = values.Distinct().ToArray();
        using var results = session.Run(runOptions, new[] { inputName }, new[] { tensor }, names);
        var output = new Dictionary<string, (long[], float[])>(StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
            output[names[i]] = (results[i].GetTensorTypeAndShape().Shape, results[i].GetTensorDataAsSpan<float>().ToArray());
        return output;
    }

    /// <summary>Shapes of the named values for an all-zero input.</summary>
    public static Dictionary<string, long[]> Shapes(ModelProto model, long[] inputShape, params string[] values) =>
        Run(model, new float[inputShape.Aggregate(1L, (a, b) => a * b)], inputShape, values).ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
}
