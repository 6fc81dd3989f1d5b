using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Fcn.MLNet.Tests.Support;

/// <summary>Runs a single-input, single-output model with ONNX Runtime.</summary>
internal static class Ort
{
    public static (float[] Values, long[] Shape) Run(ModelProto model, float[] input, params long[] shape)
    {
        using var session = new InferenceSession(model.ToByteArray());
        using var x = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, new[] { session.InputNames[0] }, new[] { x }, new[] { session.OutputNames[0] });
        return (results[0].GetTensorDataAsSpan<float>().ToArray(), results[0].GetTensorTypeAndShape().Shape);
    }

    /// <summary>The graph ONNX Runtime runs for <paramref name="model"/>: after its fusions and layout changes (all levels).</summary>
    public static ModelProto Optimized(ReadOnlyMemory<byte> model)
    {
        string path = Path.Combine(TestPaths.NewTempFolder(), "optimized.onnx");
        using (new InferenceSession(model.ToArray(), new SessionOptions { OptimizedModelFilePath = path })) { }
        return Fcn.MLNet.Onnx.OnnxModelFile.Load(path);
    }

    /// <summary>The [1, C, h, w] window of planar [C, H, W] data at (top, left).</summary>
    public static float[] Crop(float[] planar, int channels, int height, int width, int top, int left, int h, int w)
    {
        var crop = new float[channels * h * w];
        for (int c = 0; c < channels; c++)
            for (int y = 0; y < h; y++)
                Array.Copy(planar, (c * height + top + y) * width + left, crop, (c * h + y) * w, w);
        return crop;
    }

    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
    }
}
