using Fcn.MLNet.Mappings;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Quantization;

/// <summary>
/// Measures the range of activations on calibration images: the float FCN is wrapped as SegmentFcn runs it (so images
/// are preprocessed exactly as at scoring time), the planned tensors are added as outputs, and each image is run once.
/// <list type="bullet">
/// <item><see cref="CalibrationMethod.MinMax"/>: the smallest and largest value over all images.</item>
/// <item><see cref="CalibrationMethod.Percentile"/>: per image, the p-th and (100 − p)-th percentiles (from a
/// 4096-bin histogram between that image's extremes); the range is their mean over the images.</item>
/// </list>
/// </summary>
internal static class ActivationCalibrator
{
    private const int Bins = 4096;

    /// <summary>The float FCN wrapped to take pixels as SegmentFcn feeds them, its input kept alive as a tensor.</summary>
    public static ModelProto Runnable(ModelProto fcn, FcnModelContract contract, ImagePreprocessing preprocessing)
    {
        // The wrapper feeds the FCN's input from its preprocessing; an Identity keeps the input's own name alive as a
        // tensor, so the first convolution's input can be measured like any other.
        var probe = fcn.Clone();
        var input = probe.Graph.Input.First(i => i.Name == contract.InputName);
        input.Name = new OnnxGraphBuilder(probe.Graph).UniqueName(contract.InputName + "_calibration");
        var identity = new NodeProto { OpType = "Identity", Name = input.Name + "_node" };
        identity.Input.Add(input.Name);
        identity.Output.Add(contract.InputName);
        probe.Graph.Node.Insert(0, identity);
        return SegmentationGraph.Wrap(probe, FcnModelContract.Inspect(probe, "calibration model"), preprocessing, emitScore: false, classNames: null);
    }

    /// <summary>
    /// Runs <paramref name="runnable"/> (a graph with SegmentFcn's pixel and size inputs) on each image and returns the
    /// range of each of <paramref name="tensors"/>.
    /// </summary>
    public static Dictionary<string, (float Low, float High)> Measure(ModelProto runnable, ChannelOrder channelOrder,
        IReadOnlyList<string> tensors, IReadOnlyList<string> images, FcnQuantizationOptions options)
    {
        var wrapped = runnable.Clone();
        foreach (var name in tensors)
            wrapped.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DataType.Float } },
            });
        using var session = new InferenceSession(wrapped.ToByteArray());
        var outputs = tensors.ToArray();
        var low = new double[outputs.Length];
        var high = new double[outputs.Length];
        if (options.Method == CalibrationMethod.MinMax)
        {
            Array.Fill(low, double.PositiveInfinity);
            Array.Fill(high, double.NegativeInfinity);
        }
        var row = new FcnTensorRow();
        using var runOptions = new RunOptions();
        for (int n = 0; n < images.Count; n++)
        {
            string path = images[n];
            MLImage image;
            try
            {
                image = MLImage.CreateFromFile(path);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                throw new InvalidDataException($"calibration image {path} could not be decoded ({e.Message.TrimEnd('.')}); give PNG or JPEG images.", e);
            }
            using (image)
                ImageTensor.Fill(new FcnImageRow { __FcnImage = image }, row, channelOrder == ChannelOrder.Bgr);
            using var pixels = OrtValue.CreateTensorValueFromMemory(row.__FcnPixels, new long[] { 1, row.__FcnPixels.Length });
            using var size = OrtValue.CreateTensorValueFromMemory(new long[] { row.__FcnHeight, row.__FcnWidth }, new long[] { 2 });
            using var results = session.Run(runOptions, new[] { SegmentationGraph.PixelsInput, SegmentationGraph.SizeInput }, new[] { pixels, size }, outputs);
            for (int t = 0; t < outputs.Length; t++)
            {
                var values = results[t].GetTensorDataAsSpan<float>();
                var (min, max) = Extremes(values, outputs[t], path);
                if (options.Method == CalibrationMethod.MinMax)
                {
                    low[t] = Math.Min(low[t], min);
                    high[t] = Math.Max(high[t], max);
                }
                else
                {
                    var (lo, hi) = Percentiles(values, min, max, options.Percentile);
                    low[t] += lo / images.Count;
                    high[t] += hi / images.Count;
                }
            }
            options.Progress?.Report(n + 1);
        }
        return outputs.Select((name, t) => (name, t)).ToDictionary(x => x.name, x => ((float)low[x.t], (float)high[x.t]));
    }

    private static (float Min, float Max) Extremes(ReadOnlySpan<float> values, string tensor, string image)
    {
        float min = float.PositiveInfinity, max = float.NegativeInfinity;
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
                throw new InvalidDataException($"calibration: the float model gives a non-finite value in '{tensor}' on {image}; a model that overflows cannot be quantized.");
            if (v < min) min = v;
            if (v > max) max = v;
        }
        return values.Length == 0 ? (0, 0) : (min, max);
    }

    /// <summary>The (100 − p)-th and p-th percentiles of <paramref name="values"/>, from a histogram over [min, max].</summary>
    private static (double Low, double High) Percentiles(ReadOnlySpan<float> values, float min, float max, double percentile)
    {
        if (values.Length == 0 || max <= min) return (min, max);
        var counts = new long[Bins];
        double width = ((double)max - min) / Bins;
        foreach (float v in values)
            counts[Math.Min(Bins - 1, (int)((v - min) / width))]++;
        long tail = (long)Math.Floor(values.Length * (100 - percentile) / 100);
        int lowBin = 0, highBin = Bins - 1;
        for (long seen = 0; lowBin < Bins - 1 && seen + counts[lowBin] <= tail; lowBin++) seen += counts[lowBin];
        for (long seen = 0; highBin > 0 && seen + counts[highBin] <= tail; highBin--) seen += counts[highBin];
        return (min + lowBin * width, min + (highBin + 1) * width);
    }
}
