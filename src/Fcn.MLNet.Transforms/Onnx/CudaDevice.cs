using Microsoft.ML.OnnxRuntime;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// The GPU side of ONNX Runtime: parsing <c>--device cpu|cuda[:N]</c> and checking, with a message that says what to
/// do, that this build can run the CUDA execution provider. The default build references the CPU ONNX Runtime; the
/// CUDA one comes with <c>dotnet build -p:FcnGpu=true</c> (docs/gpu.md), and needs CUDA 13 and cuDNN 9 on the machine.
/// </summary>
public static class CudaDevice
{
    /// <summary>ONNX Runtime's name for its CUDA execution provider.</summary>
    public const string ProviderName = "CUDAExecutionProvider";

    /// <summary><c>cpu</c> → null; <c>cuda</c> → 0; <c>cuda:N</c> → N. The message names <paramref name="flag"/>.</summary>
    public static int? Parse(string text, string flag = "--device")
    {
        string t = text.Trim().ToLowerInvariant();
        if (t == "cpu") return null;
        if (t == "cuda") return 0;
        if (t.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(t[5..], out int id) && id >= 0) return id;
        throw new ArgumentException($"{flag}: expected cpu, cuda or cuda:N (N a device number); got '{text}'.");
    }

    /// <summary>True when the ONNX Runtime this process loaded has the CUDA execution provider (the FcnGpu build).</summary>
    public static bool IsAvailable => OrtEnv.Instance().GetAvailableProviders().Contains(ProviderName);

    /// <summary>Throws, saying how to get a CUDA build, when this build has none.</summary>
    public static void Require(int deviceId, string what)
    {
        if (!IsAvailable)
            throw new NotSupportedException(
                $"{what}: device cuda:{deviceId} needs ONNX Runtime's CUDA build, and this build references the CPU package " +
                $"(providers: {string.Join(", ", OrtEnv.Instance().GetAvailableProviders())}). Build with -p:FcnGpu=true (docs/gpu.md), or use --device cpu.");
    }

    /// <summary>What to do, when an ONNX Runtime error says the CUDA provider could not start; else an empty string.</summary>
    public static string Hint(string onnxRuntimeMessage) =>
        onnxRuntimeMessage.Contains("ExecutionProvider_Cuda", StringComparison.OrdinalIgnoreCase)
            ? ". CUDA could not start: it needs an NVIDIA driver, CUDA 13 and cuDNN 9 libraries on the library path (LD_LIBRARY_PATH); or use the CPU (--device cpu)."
            : "";

    /// <summary>Adds the CUDA execution provider for <paramref name="deviceId"/> to <paramref name="options"/> (CPU stays the fallback for nodes CUDA lacks).</summary>
    public static void Append(SessionOptions options, int deviceId, string what)
    {
        Require(deviceId, what);
        try
        {
            options.AppendExecutionProvider_CUDA(deviceId);
        }
        catch (OnnxRuntimeException e)
        {
            throw new NotSupportedException($"{what}: ONNX Runtime could not start CUDA on device {deviceId} ({e.Message.Trim().TrimEnd('.')}){Hint("ExecutionProvider_Cuda")}", e);
        }
    }
}
