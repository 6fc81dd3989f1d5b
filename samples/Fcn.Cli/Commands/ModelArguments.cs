using Fcn.Cli.Help;
using Fcn.MLNet;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary>The preprocessing flags shared by predict, evaluate and import, and model loading by extension.</summary>
internal static class ModelArguments
{
    private const string ModelDecides = "none of the four given: the model's own preprocessing (its metadata, or none)";

    /// <summary>The preprocessing flags: how pixel values become the network's input.</summary>
    public static readonly Option[] PreprocessingOptions =
    {
        new("scale", "S", "multiply pixel values (0–255) by S, before --mean and --std", "1; " + ModelDecides),
        new("mean", "a,b,c", "subtract per channel, in the network's channel order, after --scale", "0,0,0"),
        new("std", "a,b,c", "divide per channel, after --mean", "1,1,1"),
        Option.Switch("bgr", "feed channels in BGR order (Caffe models) [default: RGB]"),
    };

    /// <summary>Test-time augmentation and tiling flags of predict, evaluate and import.</summary>
    public static readonly Option[] ScoringOptions =
    {
        Option.Switch("tta-flip", "test-time augmentation: also score the left–right mirrored image and average the class probabilities"),
        new("tta-scales", "a,b,…", "test-time augmentation: score the image resized by each factor (each in (0, 4]) and average", "1"),
        new("tile", "PX", "score large images in square tiles PX wide and PX high", "the whole image at once", "pixels"),
        new("tile-overlap", "PX", "overlap of neighbouring tiles; needs --tile", "a quarter of --tile", "pixels"),
    };

    /// <summary>The device flag of predict, evaluate and train.</summary>
    public static readonly Option DeviceOption =
        new("device", "cpu|cuda[:N]", "run ONNX Runtime on the CPU or on CUDA device N (cuda = cuda:0; needs the CUDA build, docs/gpu.md)", "cpu");

    /// <summary><c>--device</c>: null for the CPU (the default), else the CUDA device number.</summary>
    public static int? Device(CommandLine cl)
    {
        if (cl.Optional("device") is not string device) return null;
        int? id;
        try { id = CudaDevice.Parse(device); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        if (id is int n) CudaDevice.Require(n, "--device");
        return id;
    }

    /// <summary>Whether a test-time augmentation or tiling flag is given.</summary>
    public static bool AnyScoringFlag(CommandLine cl) => cl.Flag("tta-flip") | cl.Has("tta-scales") | cl.Has("tile") | cl.Has("tile-overlap");

    /// <summary><c>--tile</c> / <c>--tile-overlap</c> (default a quarter of the tile), or null without <c>--tile</c>.</summary>
    public static TiledScoring? Tiling(CommandLine cl)
    {
        int? tile = cl.OptionalInt("tile"), overlap = cl.OptionalInt("tile-overlap");
        if (tile is null)
        {
            if (overlap is not null) throw new UsageException("--tile-overlap goes with --tile");
            return null;
        }
        var tiling = new TiledScoring { TileSize = tile.Value, Overlap = overlap ?? tile.Value / 4 };
        try { tiling.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return tiling;
    }

    /// <summary><c>--tta-flip</c> / <c>--tta-scales</c>, or null when neither is given.</summary>
    public static TestTimeAugmentation? TestTimeAugmentation(CommandLine cl)
    {
        try { return Fcn.MLNet.TestTimeAugmentation.Parse(cl.Optional("tta-scales"), cl.Flag("tta-flip")); }
        catch (Exception e) when (e is FormatException or ArgumentException) { throw new UsageException(e.Message); }
    }

    public static bool AnyPreprocessingFlag(CommandLine cl) =>
        cl.Has("scale") | cl.Has("mean") | cl.Has("std") | cl.Flag("bgr");

    /// <summary>The preprocessing flags, or null when none is given (the model's metadata then decides).</summary>
    public static ImagePreprocessing? Preprocessing(CommandLine cl)
    {
        if (!AnyPreprocessingFlag(cl)) return null;
        try
        {
            var p = new ImagePreprocessing
            {
                Scale = cl.OptionalFloat("scale") ?? 1f,
                Mean = cl.Optional("mean") is { } m ? ImagePreprocessing.ParseTriple(m, "--mean") : new[] { 0f, 0f, 0f },
                Std = cl.Optional("std") is { } s ? ImagePreprocessing.ParseTriple(s, "--std") : new[] { 1f, 1f, 1f },
                ChannelOrder = cl.Flag("bgr") ? ChannelOrder.Bgr : ChannelOrder.Rgb,
            };
            p.Validate();
            return p;
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new UsageException(e.Message);
        }
    }

    /// <summary>
    /// Reads the model flags (so unknown options can be reported before any work): a .zip (from import or a
    /// trainer) is used as saved, a .onnx is wrapped with the given preprocessing.
    /// </summary>
    public static ModelSpec Parse(CommandLine cl, string modelPath)
    {
        string ext = Path.GetExtension(modelPath).ToLowerInvariant();
        if (ext == ".zip")
        {
            if (AnyPreprocessingFlag(cl))
                throw new UsageException("preprocessing flags apply to .onnx models; a .zip carries its own preprocessing");
            if (AnyScoringFlag(cl))
                throw new UsageException("--tta-… and --tile flags apply to .onnx models; a .zip scores as it was saved " +
                    "(build one with them: fcn import --onnx <model.onnx> --tile 1024 …)");
            return new ModelSpec(modelPath, true, null, null, null, Device(cl));
        }
        if (ext != ".onnx") throw new UsageException($"--model must be a .onnx or .zip file, got '{modelPath}'");
        return new ModelSpec(modelPath, false, Preprocessing(cl), TestTimeAugmentation(cl), Tiling(cl), Device(cl));
    }
}

/// <summary>A model file and, for .onnx, its preprocessing, test-time augmentation and tiling; the CUDA device, if any.</summary>
internal sealed record ModelSpec(string Path, bool IsZip, ImagePreprocessing? Preprocessing, TestTimeAugmentation? TestTimeAugmentation, TiledScoring? Tiling,
    int? GpuDeviceId)
{
    /// <summary>
    /// Loads the model as a scoring pipeline over <c>ImagePath</c>. Dispose it: ML.NET keeps each loaded ONNX model
    /// in a temporary file until then.
    /// </summary>
    public LoadedModel Load(MLContext ml)
    {
        if (IsZip)
        {
            // A zip does not keep a device: ML.NET's ONNX transformer takes it from the context it is loaded in.
            ml.GpuDeviceId = GpuDeviceId;
            ml.FallbackToCpu = false;
            var model = ModelZip.Load(ml, Path, out var schema);
            var loaded = new LoadedModel(model);
            try { SegmentationScoring.RequireImagePathInput(schema, Path); }
            catch { loaded.Dispose(); throw; }
            return loaded;
        }
        return new LoadedModel(SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions
        {
            ModelPath = Path, Preprocessing = Preprocessing, TestTimeAugmentation = TestTimeAugmentation, Tiling = Tiling, GpuDeviceId = GpuDeviceId,
        }));
    }
}

/// <summary>A loaded scoring pipeline; disposing it releases ONNX Runtime and deletes ML.NET's temporary model file.</summary>
internal sealed class LoadedModel(ITransformer transformer) : IDisposable
{
    public ITransformer Transformer { get; } = transformer;

    public void Dispose() => ModelLifetime.Release(Transformer);
}
