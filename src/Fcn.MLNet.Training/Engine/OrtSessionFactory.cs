using Fcn.MLNet.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace Fcn.MLNet.Training.Engine;

/// <summary>
/// ONNX Runtime session settings for training steps: memory arena and memory pattern on (turning the arena off
/// costs ~40%), all graph optimisations, one intra-op thread per core unless told otherwise, and the CUDA execution
/// provider when a device is given.
/// </summary>
internal static class OrtSessionFactory
{
    public static InferenceSession Create(byte[] model, int threads, string? profilePrefix = null, int? gpuDeviceId = null)
    {
        using var options = new SessionOptions
        {
            EnableCpuMemArena = true,
            EnableMemoryPattern = true,
            IntraOpNumThreads = threads > 0 ? threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (gpuDeviceId is int device) CudaDevice.Append(options, device, "training");
        if (profilePrefix is not null)
        {
            options.ProfileOutputPathPrefix = profilePrefix; // must be set before EnableProfiling
            options.EnableProfiling = true;
        }
        return new InferenceSession(model, options);
    }
}
