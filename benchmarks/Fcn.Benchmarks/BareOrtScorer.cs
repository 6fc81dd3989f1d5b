using Fcn.MLNet.Onnx;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Fcn.Benchmarks;

/// <summary>
/// The baseline: the same wrapped ONNX graph SegmentFcn runs, driven directly through an ORT InferenceSession —
/// decode the file, fill the planar tensor, run, copy the class map out. No IDataView, no ML.NET.
/// </summary>
internal sealed class BareOrtScorer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly string[] _inputs = { "__FcnPixels", "__FcnSize" };
    private readonly string[] _outputs = { "__FcnClasses" };

    /// <param name="arena">
    /// ONNX Runtime's CPU arena: "default" (on, growing by powers of two), "off", or "exact" (an environment arena
    /// that grows by what is asked). ML.NET's ApplyOnnxModel uses the default; the others show what it would change.
    /// </param>
    public BareOrtScorer(byte[] wrappedModel, string arena = "default") : this(wrappedModel, ArenaOptions(arena)) { }

    public BareOrtScorer(byte[] wrappedModel, SessionOptions options) => _session = new InferenceSession(wrappedModel, options);

    private static SessionOptions ArenaOptions(string arena)
    {
        var options = new SessionOptions();
        switch (arena)
        {
            case "default": break;
            case "off": options.EnableCpuMemArena = false; break;
            case "exact":
                OrtEnv.Instance().CreateAndRegisterAllocator(OrtMemoryInfo.DefaultInstance,
                    new OrtArenaCfg(maxMemory: 0, arenaExtendStrategy: 1, initialChunkSizeBytes: -1, maxDeadBytesPerChunk: -1));
                options.AddSessionConfigEntry("session.use_env_allocators", "1");
                break;
            default: throw new ArgumentException($"arena: expected default, off or exact; got '{arena}'.");
        }
        return options;
    }

    /// <summary>Ends ONNX Runtime's profiling (when enabled) and returns the profile's file.</summary>
    public string EndProfiling() => _session.EndProfiling();

    public int[] Score(string path)
    {
        using var image = MLImage.CreateFromFile(path);
        int h = image.Height, w = image.Width, plane = h * w;
        var pixels = image.Pixels;
        int stride = pixels.Length / h;
        var planar = new byte[3 * plane];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = y * stride + 4 * x, d = y * w + x;
                planar[d] = pixels[s + 2];
                planar[plane + d] = pixels[s + 1];
                planar[2 * plane + d] = pixels[s];
            }
        using var pixelTensor = OrtValue.CreateTensorValueFromMemory(planar, new long[] { 1, 3L * plane });
        using var sizeTensor = OrtValue.CreateTensorValueFromMemory(new long[] { h, w }, new long[] { 2 });
        using var runOptions = new RunOptions();
        using var results = _session.Run(runOptions, _inputs, new[] { pixelTensor, sizeTensor }, _outputs);
        if (results[0].GetTensorTypeAndShape().ElementDataType != TensorElementType.UInt8)
            return results[0].GetTensorDataAsSpan<int>().ToArray();
        var bytes = results[0].GetTensorDataAsSpan<byte>();
        var map = new int[bytes.Length];
        for (int i = 0; i < map.Length; i++) map[i] = bytes[i] == SegmentationGraph.NotAScoreByte ? SegmentationGraph.NotAScoreClass : bytes[i];
        return map;
    }

    public void Dispose() => _session.Dispose();
}
