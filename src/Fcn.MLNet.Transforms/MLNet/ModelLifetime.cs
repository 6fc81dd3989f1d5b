using System.Collections;
using System.Reflection;
using Fcn.MLNet.Onnx;
using Microsoft.ML;
using Microsoft.ML.Transforms.Onnx;

namespace Fcn.MLNet;

/// <summary>
/// Ends a model's life without leaving files behind. ML.NET writes the ONNX model of every SegmentFcn step (and of
/// every one loaded from a model zip) to a temporary file in <c>MLContext.TempFilePath</c>; disposing the transformer
/// should delete it, but ML.NET 5.0.1 leaves the file on Linux and macOS (one model-sized file per fit or load).
/// <see cref="Release"/> disposes the model and deletes the temporary files of its SegmentFcn steps. Use it where
/// you would call <c>Dispose</c> on a fitted or loaded model.
/// </summary>
public static class ModelLifetime
{
    private const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;

    /// <summary>Disposes <paramref name="model"/> (null is ignored) and deletes its SegmentFcn steps' temporary model files.</summary>
    public static void Release(ITransformer? model)
    {
        if (model is null) return;
        var files = new List<string>();
        Collect(model, files);
        (model as IDisposable)?.Dispose();
        foreach (var file in files)
        {
            try { File.Delete(file); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>The temporary files of the SegmentFcn ONNX steps in <paramref name="model"/> (chains are searched).</summary>
    private static void Collect(ITransformer model, List<string> files)
    {
        if (model is OnnxTransformer onnx)
        {
            if (TemporaryFileOf(onnx) is { } file) files.Add(file);
            return;
        }
        if (model is IEnumerable children)
            foreach (var child in children.OfType<ITransformer>()) Collect(child, files);
    }

    /// <summary>
    /// The file an ONNX step runs from, when the step is SegmentFcn's wrapped model (which ML.NET always loads from
    /// bytes into a temporary file). Any other ONNX step may run from a user's own file, which is never touched.
    /// </summary>
    private static string? TemporaryFileOf(OnnxTransformer onnx)
    {
        var inputs = onnx.GetType().GetProperty("Inputs", Instance)?.GetValue(onnx) as string[];
        if (inputs is null || !inputs.Contains(SegmentationGraph.PixelsInput) || !inputs.Contains(SegmentationGraph.SizeInput)) return null;
        var model = onnx.GetType().GetField("Model", Instance)?.GetValue(onnx);
        return (model?.GetType().GetProperty("ModelStream", Instance)?.GetValue(model) as FileStream)?.Name;
    }
}
