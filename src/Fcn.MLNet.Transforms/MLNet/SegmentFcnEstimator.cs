using Fcn.MLNet.Mappings;
using Fcn.MLNet.Onnx;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Fcn.MLNet;

/// <summary>
/// Runs a fully convolutional network on images of any size and gives a per-pixel class map of the same size.
/// <see cref="Fit"/> returns a chain of ML.NET's own transformers (an image-to-tensor mapping, the ONNX model
/// wrapped with preprocessing, resize and argmax, and column plumbing), so the result saves to and loads from a
/// model zip with <c>mlContext.Model.Save/Load</c>, weights included.
/// </summary>
/// <example>
/// <code>
/// var pipeline = ml.Transforms.LoadImages("Image", imageFolder, "ImagePath")
///     .Append(ml.Transforms.SegmentFcn("fcn8s.onnx", preprocessing: ImagePreprocessing.ImageNet));
/// var model = pipeline.Fit(data);
/// ml.Model.Save(model, data.Schema, "fcn.zip");
/// </code>
/// </example>
public sealed class SegmentFcnEstimator : IEstimator<TransformerChain<ITransformer>>
{
    private readonly TransformsCatalog _catalog;
    private readonly SegmentFcnOptions _options;
    private readonly byte[] _wrappedModel;
    private readonly string _source;
    private readonly int? _gpuDeviceId;

    internal SegmentFcnEstimator(TransformsCatalog catalog, SegmentFcnOptions options)
    {
        _catalog = catalog ?? throw new ArgumentNullException(nameof(catalog));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        ValidateColumnNames(options);
        (var model, string source) = LoadModel(options);
        _source = source;
        Contract = FcnModelContract.Inspect(model, source, options.ScoresOutputName);
        ClassNames = options.ClassNames ?? Contract.ClassNames;
        if (ClassNames is not null && Contract.NumberOfClasses is int k && ClassNames.Count != k)
            throw new ArgumentException($"{ClassNames.Count} class names were given but {source} scores {k} classes.");
        Preprocessing = options.Preprocessing
            ?? ModelMetadata.ReadPreprocessing(model) ?? ImagePreprocessing.None;
        if (options.ShiftAndStitch is { } sas)
        {
            Onnx.ShiftAndStitch.Validate(sas.OutputStride, sas.Factor);
            if (Contract.OutputMatchesInputSize)
                throw new ArgumentException($"SegmentFcn: shift-and-stitch needs a model with coarse output; {source} already predicts at input size.");
        }
        options.TestTimeAugmentation?.Validate();
        options.Tiling?.Validate();
        if (options.GpuDeviceId is int device && !CudaDevice.IsAvailable)
        {
            // The CPU build lacks the CUDA entry point altogether, which ML.NET's own fallback does not catch.
            if (!options.FallbackToCpu) CudaDevice.Require(device, "SegmentFcn");
            _gpuDeviceId = null;
        }
        else _gpuDeviceId = options.GpuDeviceId;
        _wrappedModel = SegmentationGraph.Wrap(model, Contract, Preprocessing,
            emitScore: options.ScoreColumnName is not null, ClassNames, options.ShiftAndStitch, options.TestTimeAugmentation, options.Tiling).ToByteArray();
    }

    /// <summary>What was learned about the model when checking its contract.</summary>
    public FcnModelContract Contract { get; }

    /// <summary>Class names (given in the options, or read from the model), or null.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>The preprocessing in use (from the options, else the model's metadata, else none).</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>The number of classes, when the model or the class names tell it.</summary>
    public int? NumberOfClasses => Contract.NumberOfClasses ?? ClassNames?.Count;

    /// <summary>The ONNX model SegmentFcn runs (the FCN wrapped with preprocessing, resize and argmax).</summary>
    public ReadOnlyMemory<byte> WrappedModel => _wrappedModel;

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        var found = inputSchema.Where(c => c.Name == _options.InputColumnName).ToList();
        if (found.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"SegmentFcn: input column '{_options.InputColumnName}' not found; columns are {string.Join(", ", inputSchema.Select(c => c.Name))}.");
        var column = found[^1];
        if (column.Kind != SchemaShape.Column.VectorKind.Scalar || column.ItemType is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(nameof(inputSchema),
                $"SegmentFcn: input column '{_options.InputColumnName}' must be an image (MLImage, e.g. from LoadImages); found {Describe(column)}.");

        // SchemaShape's factories are internal to ML.NET: derive the new columns from public estimators instead —
        // a never-fitted mapping declares every output type, copies give them the user's names.
        var shape = _catalog.CustomMapping(FcnOutputSchemaProbe.Mapping, contractName: null).GetOutputSchema(inputSchema);
        foreach (var (output, source) in OutputCopies())
            shape = _catalog.CopyColumns(output, source).GetOutputSchema(shape);
        return new SchemaShape(shape.Where(c => !c.Name.StartsWith("__Fcn", StringComparison.Ordinal)));
    }

    /// <inheritdoc />
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        var inputColumn = input.Schema.GetColumnOrNull(_options.InputColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(input),
                $"SegmentFcn: input column '{_options.InputColumnName}' not found; columns are {string.Join(", ", input.Schema.Select(c => c.Name))}.");
        if (inputColumn.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(nameof(input),
                $"SegmentFcn: input column '{_options.InputColumnName}' must be an image (MLImage, e.g. from LoadImages); found {inputColumn.Type}.");

        var steps = new List<ITransformer>();
        IDataView data = input;
        void Add(ITransformer t)
        {
            steps.Add(t);
            data = t.Transform(data);
        }

        Add(_catalog.CopyColumns("__FcnImage", _options.InputColumnName).Fit(data));
        Add(Preprocessing.ChannelOrder == ChannelOrder.Bgr
            ? _catalog.CustomMapping(new ImageToBgrTensorFactory().GetMapping(), ImageToBgrTensorFactory.ContractName).Fit(data)
            : _catalog.CustomMapping(new ImageToRgbTensorFactory().GetMapping(), ImageToRgbTensorFactory.ContractName).Fit(data));

        var onnxOutputs = new List<string> { SegmentationGraph.ClassesOutput };
        if (_options.ScoreColumnName is not null) onnxOutputs.Add(SegmentationGraph.ScoreOutput);
        using (var modelStream = new MemoryStream(_wrappedModel, writable: false))
        {
            ITransformer onnx;
            try
            {
                onnx = _catalog.ApplyOnnxModel(onnxOutputs.ToArray(),
                    new[] { SegmentationGraph.PixelsInput, SegmentationGraph.SizeInput }, modelStream,
                    shapeDictionary: null, _gpuDeviceId, _options.FallbackToCpu, recursionLimit: 100).Fit(data);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // ONNX Runtime names the temporary copy ML.NET made of the model; name the user's model instead.
                foreach (var done in steps) ModelLifetime.Release(done);
                string message = ModelZip.Innermost(e).Message;
                throw new InvalidDataException($"SegmentFcn: ONNX Runtime cannot run {_source}: {ModelZip.NameUserFile(message, _source).TrimEnd('.')}{CudaDevice.Hint(message)}", e);
            }
            Add(onnx);
        }
        Add(SegmentationGraph.HasByteClassMap(Contract)
            ? _catalog.CustomMapping(new ByteClassMapVectorFactory().GetMapping(), ByteClassMapVectorFactory.ContractName).Fit(data)
            : _catalog.CustomMapping(new ClassMapVectorFactory().GetMapping(), ClassMapVectorFactory.ContractName).Fit(data));
        if (_options.ScoreColumnName is not null)
            Add(_catalog.CustomMapping(new ScoreMapVectorFactory().GetMapping(), ScoreMapVectorFactory.ContractName).Fit(data));
        if (_options.ColorizedColumnName is not null)
            Add(_catalog.CustomMapping(new ColorizeClassMapFactory().GetMapping(), ColorizeClassMapFactory.ContractName).Fit(data));

        foreach (var (output, source) in OutputCopies())
            Add(_catalog.CopyColumns(output, source).Fit(data));

        var temporary = data.Schema.Select(c => c.Name).Where(n => n.StartsWith("__Fcn", StringComparison.Ordinal)).Distinct().ToArray();
        Add(_catalog.DropColumns(temporary).Fit(data));
        return new TransformerChain<ITransformer>(steps.ToArray());
    }

    /// <summary>(user column, temporary column) pairs, in output order.</summary>
    private IEnumerable<(string Output, string Source)> OutputCopies()
    {
        yield return (_options.OutputColumnName, "__FcnClassMap");
        yield return (_options.ResolvedHeightColumn, "__FcnHeight");
        yield return (_options.ResolvedWidthColumn, "__FcnWidth");
        if (_options.ScoreColumnName is string score) yield return (score, "__FcnScoreMap");
        if (_options.ColorizedColumnName is string color) yield return (color, "__FcnColorMask");
    }

    private static (Onnx.Proto.ModelProto Model, string Source) LoadModel(SegmentFcnOptions options)
    {
        if (options.ModelBytes is { } bytes)
        {
            if (options.ModelPath is not null)
                throw new ArgumentException("SegmentFcn: set either ModelPath or ModelBytes, not both.");
            return (OnnxModelFile.Parse(bytes, "model bytes"), "model bytes");
        }
        if (string.IsNullOrWhiteSpace(options.ModelPath))
            throw new ArgumentException("SegmentFcn: no model given (set ModelPath or ModelBytes).");
        return (OnnxModelFile.Load(options.ModelPath), options.ModelPath);
    }

    private static void ValidateColumnNames(SegmentFcnOptions o)
    {
        var outputs = new[] { o.OutputColumnName, o.ResolvedHeightColumn, o.ResolvedWidthColumn, o.ScoreColumnName, o.ColorizedColumnName }
            .Where(n => n is not null).ToList();
        if (string.IsNullOrWhiteSpace(o.InputColumnName) || outputs.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException("SegmentFcn: column names must not be empty.");
        if (outputs.Distinct(StringComparer.Ordinal).Count() != outputs.Count)
            throw new ArgumentException($"SegmentFcn: output column names must differ ({string.Join(", ", outputs)}).");
        if (outputs.Concat(new[] { o.InputColumnName }).Any(n => n!.StartsWith("__Fcn", StringComparison.Ordinal)))
            throw new ArgumentException("SegmentFcn: column names starting with '__Fcn' are reserved.");
    }

    private static string Describe(SchemaShape.Column c) =>
        c.Kind == SchemaShape.Column.VectorKind.Scalar ? $"{c.ItemType}" : $"{c.Kind} of {c.ItemType}";
}
