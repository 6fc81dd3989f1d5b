using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Scoring;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.MLNet.Quantization;

/// <summary>
/// Static post-training int8 quantization of a float FCN for CPU serving: activation ranges are calibrated on images
/// (<see cref="ActivationCalibrator"/>), and the graph is rewritten into ONNX's QDQ form (<see cref="QdqRewriter"/>),
/// which ONNX Runtime fuses into integer kernels. From a float <c>.onnx</c> the result is again a float-in, float-out
/// FCN that SegmentFcn accepts like any other (any image size, tiling, test-time augmentation, zips); from a SegmentFcn
/// model zip it is the same zip with its graph quantized.
/// </summary>
public static class FcnQuantizer
{
    /// <summary>The lowest opset whose QuantizeLinear/DequantizeLinear take per-channel scales.</summary>
    public const int MinimumOpset = 13;

    /// <summary>Metadata key that says how a model was quantized.</summary>
    public const string QuantizationKey = "fcn.quantization";

    /// <summary>
    /// Quantizes the model of <paramref name="options"/> and writes it to <paramref name="outputPath"/> (atomically):
    /// a <c>.onnx</c> FCN gives a <c>.onnx</c> FCN or, for a <c>.zip</c> output, a SegmentFcn model zip over image paths
    /// (as <c>fcn import</c> writes); a model zip gives a model zip. Returns a one-line description of what was done.
    /// </summary>
    public static string QuantizeToFile(FcnQuantizationOptions options, string outputPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        bool zipOut = outputPath.EndsWith(".zip", StringComparison.OrdinalIgnoreCase);
        if (!zipOut && !outputPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"output {outputPath}: expected a .onnx or .zip file name.");
        if (options.ModelPath is string path && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
        {
            if (!zipOut)
                throw new ArgumentException($"{path} is a model zip: its graph is wrapped for ML.NET, so it quantizes to a .zip, not to {outputPath}. To get an int8 .onnx, quantize the float .onnx.");
            if (options.Preprocessing is not null)
                throw new ArgumentException($"{path} is a model zip, which carries its own preprocessing; preprocessing options apply to a .onnx model.");
            var (entry, wrapped) = ModelZipOnnxEntry.Read(path);
            var channelOrder = (ModelMetadata.ReadPreprocessing(wrapped) ?? ImagePreprocessing.None).ChannelOrder;
            var (quantizedZip, summary) = Rewrite(wrapped, graph => graph, channelOrder, options, path);
            SegmentationGraph.DeclareImageShape(quantizedZip.Graph); // zips wrapped before the image's shape was declared
            ModelZipOnnxEntry.WriteCopy(path, entry, quantizedZip.ToByteArray(), outputPath);
            return summary;
        }
        var (quantized, preprocessing, description) = QuantizeFcn(options);
        if (!zipOut)
        {
            OnnxModelFile.Save(quantized, outputPath);
            return description;
        }
        var ml = new MLContext();
        var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = quantized.ToByteArray(), Preprocessing = preprocessing });
        try
        {
            var schema = ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema;
            AtomicFile.Write(outputPath, stream => ml.Model.Save(pipeline, schema, stream));
        }
        finally
        {
            ModelLifetime.Release(pipeline);
        }
        return description;
    }

    /// <summary>Quantizes a float FCN (<see cref="FcnQuantizationOptions.ModelPath"/> or bytes, not a zip) and returns the int8 (QDQ) model.</summary>
    public static ModelProto Quantize(FcnQuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return QuantizeFcn(options).Model;
    }

    /// <summary>The float FCN of <paramref name="options"/> (not a zip), quantized, with the preprocessing it runs with.</summary>
    private static (ModelProto Model, ImagePreprocessing Preprocessing, string Description) QuantizeFcn(FcnQuantizationOptions options)
    {
        string source = options.ModelPath ?? "model bytes";
        if (options.ModelPath is string path && path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"{path} is a model zip; quantize it to a .zip with QuantizeToFile, or give the float .onnx.");
        var fcn = options.ModelPath is string p ? OnnxModelFile.Load(p) : OnnxModelFile.Parse(options.ModelBytes!, source);
        var contract = FcnModelContract.Inspect(fcn, source);
        var preprocessing = options.Preprocessing ?? ModelMetadata.ReadPreprocessing(fcn) ?? ImagePreprocessing.None;
        var (quantized, description) = Rewrite(fcn, graph => ActivationCalibrator.Runnable(graph, contract, preprocessing), preprocessing.ChannelOrder, options, source);
        OnnxModelFile.SetMetadata(quantized, ModelMetadata.PreprocessingKey, preprocessing.ToJson());
        return (quantized, preprocessing, description);
    }

    /// <summary>
    /// Plans, calibrates (running <paramref name="runnable"/> of the planned float graph) and rewrites <paramref name="model"/>.
    /// </summary>
    private static (ModelProto Model, string Description) Rewrite(ModelProto model, Func<ModelProto, ModelProto> runnable, ChannelOrder channelOrder,
        FcnQuantizationOptions options, string source)
    {
        long opset = OnnxModelFile.DefaultDomainOpset(model);
        if (opset < MinimumOpset)
            throw new InvalidDataException($"{source}: int8 quantization needs ONNX opset {MinimumOpset} or newer (per-channel QuantizeLinear); the model imports opset {opset}. Re-export it with opset {MinimumOpset}+.");
        if (model.Graph.Node.Any(n => n.OpType is "QuantizeLinear" or "DequantizeLinear" or "QLinearConv"))
            throw new InvalidDataException($"{source}: the model is already quantized.");
        if (model.Graph.Node.Any(n => n.OpType == "Loop" && n.Attribute.Any(a => a.G?.Node.Any(b => b.OpType == "Conv") == true)))
            throw new InvalidDataException($"{source}: this model scores in tiles, so its convolutions run inside a Loop; quantize the float .onnx and import the result with --tile.");
        var plan = QuantizationPlan.Build(model.Graph, options.QuantizeScoreLayers, source);
        model = model.Clone(); // the one copy: the stem rewrite and the QDQ rewrite both change it in place
        if (SpaceToDepthStem.Apply(model.Graph, plan.Convolutions) > 0)
            plan = QuantizationPlan.Build(model.Graph, options.QuantizeScoreLayers, source); // node positions moved
        var images = options.CalibrationImages.Take(options.MaximumCalibrationImages).ToList();
        foreach (var image in images.Where(i => !File.Exists(i)))
            throw new FileNotFoundException($"calibration image not found: {image}", image);
        var ranges = ActivationCalibrator.Measure(runnable(model), channelOrder, plan.CalibratedTensors.ToList(), images, options);
        QdqRewriter.Apply(model, plan, ranges);
        string description = $"int8 QDQ: {plan.Convolutions.Count} convolutions, activations calibrated on {images.Count} images by " +
            (options.Method == CalibrationMethod.MinMax ? "min/max" : $"the {options.Percentile.ToString(System.Globalization.CultureInfo.InvariantCulture)}th percentile");
        OnnxModelFile.SetMetadata(model, QuantizationKey, description);
        return (model, description);
    }
}
