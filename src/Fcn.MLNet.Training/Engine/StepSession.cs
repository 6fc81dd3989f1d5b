using Fcn.MLNet.Training.Autodiff;
using Fcn.MLNet.Training.Optimization;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;

namespace Fcn.MLNet.Training.Engine;

/// <summary>
/// One ONNX Runtime session of a <see cref="TrainingGraph"/> (one image shape) with every input and output bound
/// once through an <see cref="OrtIoBinding"/> to pinned managed buffers: the image, labels and pixel weights owned
/// here, and each parameter's values and gradient owned by its <see cref="TrainableParameter"/>. A step writes the
/// inputs into the buffers and runs; in-place parameter updates are seen by the next run without rebinding.
/// </summary>
internal sealed class StepSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private readonly List<OrtValue> _values = new();
    private readonly float[] _loss = new float[1];
    private readonly bool _profiling;

    public StepSession(TrainingGraph graph, IReadOnlyDictionary<string, TrainableParameter> parameters, int threads, string? profilePrefix = null,
        int? gpuDeviceId = null)
    {
        Graph = graph;
        Image = new float[graph.ImageShape.Aggregate(1L, (a, d) => a * d)];
        long labelCount = graph.LabelShape.Aggregate(1L, (a, d) => a * d);
        Labels = new long[labelCount];
        PixelWeights = new float[labelCount];
        _profiling = profilePrefix is not null;
        _session = OrtSessionFactory.Create(graph.Model.ToByteArray(), threads, profilePrefix, gpuDeviceId);
        _binding = _session.CreateIoBinding();
        try
        {
            Bind(true, graph.ImageInput, OrtValue.CreateTensorValueFromMemory(Image, graph.ImageShape));
            Bind(true, graph.LabelsInput, OrtValue.CreateTensorValueFromMemory(Labels, graph.LabelShape));
            Bind(true, graph.PixelWeightsInput, OrtValue.CreateTensorValueFromMemory(PixelWeights, graph.LabelShape));
            Bind(false, graph.LossOutput, OrtValue.CreateTensorValueFromMemory(_loss, Array.Empty<long>()));
            foreach (var p in graph.Parameters)
            {
                var parameter = parameters[p.Name];
                Bind(true, p.Name, OrtValue.CreateTensorValueFromMemory(parameter.Values, p.Shape));
                Bind(false, p.GradientOutput, OrtValue.CreateTensorValueFromMemory(parameter.Gradient, p.GradientShape));
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public TrainingGraph Graph { get; }

    /// <summary>Image batch buffer [N, 3, H, W].</summary>
    public float[] Image { get; }

    /// <summary>Label buffer (ignored pixels as 0).</summary>
    public long[] Labels { get; }

    /// <summary>Per-pixel loss weights buffer.</summary>
    public float[] PixelWeights { get; }

    /// <summary>Runs forward, loss and backward; the gradients land in the parameters' buffers. Returns the loss.</summary>
    public float Run()
    {
        _session.RunWithBinding(_runOptions, _binding);
        _binding.SynchronizeBoundOutputs();
        return _loss[0];
    }

    private void Bind(bool input, string name, OrtValue value)
    {
        _values.Add(value);
        if (input) _binding.BindInput(name, value);
        else _binding.BindOutput(name, value);
    }

    public void Dispose()
    {
        if (_profiling) _session.EndProfiling();
        _binding.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
        foreach (var v in _values) v.Dispose();
        _values.Clear();
    }
}
