using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Optimization;
using Microsoft.ML;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>How the skip architectures are trained (paper 4.2–4.3).</summary>
public enum FcnTrainingProtocol
{
    /// <summary>Train the target architecture directly from the backbone ("at once", the later reference repo).</summary>
    AtOnce,

    /// <summary>FCN-32s, then FCN-16s initialised from it, then FCN-8s from that (new skip layers start at zero).</summary>
    Staged,
}

/// <summary>Options of <see cref="FcnTrainer"/>: data columns, network, optimizer, protocol, validation and checkpoints.</summary>
public sealed class FcnTrainerOptions
{
    /// <summary>Image column (MLImage of any size, e.g. from LoadImages).</summary>
    public string ImageColumnName { get; set; } = "Image";

    /// <summary>Ground truth: mask file paths (text), or an integer vector of H·W labels per image.</summary>
    public string LabelColumnName { get; set; } = "Label";

    /// <summary>Class-map column of the returned transformer.</summary>
    public string OutputColumnName { get; set; } = "Segmentation";

    /// <summary>"resnet18" (the NuGet ImageNet ResNet18) or the path of an ImageNet classifier ONNX.</summary>
    public string Backbone { get; set; } = "resnet18";

    /// <summary>An existing FCN ONNX to fine-tune instead of building one from <see cref="Backbone"/>.</summary>
    public string? BaseModelPath { get; set; }

    /// <summary>The architecture to end with.</summary>
    public FcnArchitecture Architecture { get; set; } = FcnArchitecture.Fcn8s;

    /// <summary>Staged 32s → 16s → 8s, or at once.</summary>
    public FcnTrainingProtocol Protocol { get; set; } = FcnTrainingProtocol.AtOnce;

    /// <summary>Number of classes.</summary>
    public int NumberOfClasses { get; set; }

    /// <summary>Class names (optional; stored in the model).</summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>Preprocessing for a classifier backbone given by path (ResNet18 brings its own).</summary>
    public ImagePreprocessing? Preprocessing { get; set; }

    /// <summary>Label that carries no loss and is not scored (255 for PASCAL VOC, 11 for CamVid).</summary>
    public int IgnoreLabel { get; set; } = 255;

    /// <summary>Epochs per stage.</summary>
    public int Epochs { get; set; } = 10;

    /// <summary>When set, iterations per stage instead of whole epochs (the last epoch may be partial).</summary>
    public int? Iterations { get; set; }

    /// <summary>Shuffle the images every epoch (seeded); false takes them in the input's order.</summary>
    public bool Shuffle { get; set; } = true;

    /// <summary>Images per batch.</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// Background threads that decode, augment and batch training images while the net trains (0: on the training
    /// thread). Training data is streamed: images are decoded when drawn, so memory does not grow with the dataset. The
    /// batches are the same whatever the number of workers. Default: <see cref="DefaultDataLoadingWorkers"/>.
    /// </summary>
    public int DataLoadingWorkers { get; set; } = DefaultDataLoadingWorkers;

    /// <summary>
    /// Train and validate on this CUDA device; null (default) uses the CPU. Needs the CUDA build (<c>-p:FcnGpu=true</c>,
    /// docs/gpu.md). The result does not depend on it beyond floating-point rounding, so a run may resume on another device.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// 0 on a machine with 2 cores or fewer — there a worker takes CPU from ONNX Runtime's step (measured on CamVid:
    /// 171 ms per iteration with one worker, 158 ms with none, 154 ms from memory) — else a quarter of the cores, 1 to 4.
    /// </summary>
    public static int DefaultDataLoadingWorkers => Environment.ProcessorCount <= 2 ? 0 : Math.Clamp(Environment.ProcessorCount / 4, 1, 4);

    /// <summary>Batches each data loading worker prepares ahead of training (bounds the memory held by prefetching).</summary>
    public int PrefetchFactor { get; set; } = 2;

    /// <summary>Base learning rate (loss is the mean over labelled pixels).</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Weight decay.</summary>
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>Learning-rate multiplier of biases (the reference FCN doubles it: Caffe <c>lr_mult: 2</c>).</summary>
    public double BiasLearningRateMultiplier { get; set; } = 2;

    /// <summary>Weight-decay multiplier of biases (the reference FCN does not decay them: Caffe <c>decay_mult: 0</c>).</summary>
    public double BiasWeightDecayMultiplier { get; set; }

    /// <summary>Learning-rate schedule within a stage.</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Fixed;

    /// <summary>Random crops of this size (height, width), padded with the ignore label; null trains whole images.</summary>
    public (int Height, int Width)? CropSize { get; set; }

    /// <summary>Scale jitter: each training image is resized by a factor drawn from [Min, Max] before cropping; null keeps native scale.</summary>
    public (double Min, double Max)? ScaleRange { get; set; }

    /// <summary>Random horizontal mirroring.</summary>
    public bool Mirror { get; set; } = true;

    /// <summary>Random rotation (probability ½) by up to ± this many degrees, labels nearest, borders ignored; null: none.</summary>
    public double? MaxRotationDegrees { get; set; }

    /// <summary>Random colour distortion (MMSegmentation's PhotoMetricDistortion); null: none.</summary>
    public PhotometricDistortion? Photometric { get; set; }

    /// <summary>Random Gaussian blur (probability ½) with σ in [Min, Max] pixels; null: none.</summary>
    public (double Min, double Max)? BlurSigma { get; set; }

    /// <summary>Loss sampling: fraction of pixels whose loss is kept (paper 3.4).</summary>
    public double LossSampleFraction { get; set; } = 1.0;

    /// <summary>Per-class loss weights (class balancing), or null; see also <see cref="ClassBalancing"/>.</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>Class weights computed from the training masks (e.g. median frequency); not together with <see cref="ClassWeights"/>.</summary>
    public ClassBalancing ClassBalancing { get; set; } = ClassBalancing.None;

    /// <summary>Also learn the final upsampling (fixed to bilinear by default).</summary>
    public bool LearnFinalUpsampling { get; set; }

    /// <summary>Seed of shuffling, crops, mirroring and loss sampling.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Validation rows (same columns): mean IU after every epoch.</summary>
    public IDataView? ValidationData { get; set; }

    /// <summary>Folder for the per-epoch checkpoint (written atomically) and the curves plot.</summary>
    public string? CheckpointFolder { get; set; }

    /// <summary>
    /// Continue from the checkpoint in <see cref="CheckpointFolder"/> when there is one. The checkpoint's
    /// <see cref="TrainingSettings"/> must match these options (epochs and iterations may grow).
    /// </summary>
    public bool Resume { get; set; }

    /// <summary>On resume, accept a learning rate that differs from the checkpoint's (the one explicit override).</summary>
    public bool AllowLearningRateChangeOnResume { get; set; }

    /// <summary>
    /// Start a new run in a <see cref="CheckpointFolder"/> that holds a checkpoint, replacing it. Without it (and
    /// without <see cref="Resume"/>) such a folder is refused, so an earlier run is never lost by accident.
    /// </summary>
    public bool OverwriteCheckpoint { get; set; }

    /// <summary>
    /// In a process launched by <c>mpirun</c> or <c>srun</c> as one of several ranks, train data-parallel with the
    /// other ranks (the default; see <see cref="Distributed.MpiWorld"/> and docs/distributed.md). False trains in
    /// this process alone even then — e.g. one independent run per rank, each with its own checkpoint folder.
    /// </summary>
    public bool DataParallel { get; set; } = true;

    /// <summary>Progress after every iteration and every validation.</summary>
    public IProgress<FcnTrainingProgress>? Progress { get; set; }

    /// <summary>Stops training early (the last finished epoch's model is returned).</summary>
    public CancellationToken CancellationToken { get; set; }

    /// <summary>
    /// Checks every option before any data is read — the one place they are checked, for code and for
    /// <c>fcn train</c> alike. Each message names the option and its command-line flag.
    /// </summary>
    /// <exception cref="ArgumentException">An option is out of range or contradicts another.</exception>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new ArgumentException(message);
        }
        static bool NonNegative(double v) => v >= 0 && double.IsFinite(v);
        Require(NumberOfClasses is >= 1 and <= Evaluation.SegmentationConfusionMatrix.MaxClasses,
            $"NumberOfClasses (--num-classes) must be 1 to {Evaluation.SegmentationConfusionMatrix.MaxClasses}, got {NumberOfClasses}.");
        Require(Epochs >= 1 && Iterations is null or >= 1, "Epochs and Iterations (--epochs, --iterations) must be at least 1.");
        Require(BatchSize >= 1, $"BatchSize (--batch-size) must be at least 1, got {BatchSize}.");
        Require(DataLoadingWorkers is >= 0 and <= 64, $"DataLoadingWorkers (--workers) must be 0 to 64, got {DataLoadingWorkers}.");
        Require(PrefetchFactor is >= 1 and <= 64, $"PrefetchFactor must be 1 to 64, got {PrefetchFactor}.");
        Require(ClassNames is null || ClassNames.Count == NumberOfClasses, $"{ClassNames?.Count} class names (--classes) for {NumberOfClasses} classes.");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), $"Learning rate must be positive, got {LearningRate} (LearningRate, --lr).");
        Require(Momentum is >= 0 and < 1, $"Momentum must be in [0, 1), got {Momentum} (Momentum, --momentum).");
        Require(NonNegative(WeightDecay), $"Weight decay must be ≥ 0, got {WeightDecay} (WeightDecay, --weight-decay).");
        Require(NonNegative(BiasLearningRateMultiplier) && NonNegative(BiasWeightDecayMultiplier),
            "BiasLearningRateMultiplier and BiasWeightDecayMultiplier (--bias-lr-mult, --bias-decay-mult) must be finite and ≥ 0.");
        Require(LossSampleFraction is > 0 and <= 1, $"LossSampleFraction (--loss-sample) must be in (0, 1] (the fraction of pixels whose loss is kept), got {LossSampleFraction}.");
        Require(CropSize is not { } c || c.Height >= 1 && c.Width >= 1, $"CropSize (--crop) must be positive, got {CropSize}.");
        new BatchSamplerOptions { ScaleRange = ScaleRange, MaxRotationDegrees = MaxRotationDegrees, Photometric = Photometric, BlurSigma = BlurSigma, IgnoreLabel = IgnoreLabel }
            .ValidateAugmentation();
        Require(ClassWeights is null || ClassBalancing == ClassBalancing.None, "Give ClassWeights or ClassBalancing (--class-weights), not both.");
        Require(ClassWeights is not { } w || w.Length == NumberOfClasses && w.All(x => x >= 0 && float.IsFinite(x)),
            $"ClassWeights (--class-weights) needs {NumberOfClasses} finite weights ≥ 0, got [{string.Join(", ", ClassWeights ?? Array.Empty<float>())}].");
        Require(!Resume || CheckpointFolder is not null, "Resume (--resume) needs a CheckpointFolder (--checkpoint-dir).");
        Require(!AllowLearningRateChangeOnResume || Resume, "AllowLearningRateChangeOnResume (--allow-lr-change) applies to Resume (--resume).");
        if (CheckpointFolder is { } folder)
        {
            Require(!File.Exists(folder), $"CheckpointFolder (--checkpoint-dir) {folder} is a file; give a folder.");
            string existing = Path.Combine(folder, FcnCheckpoint.FileName);
            Require(!File.Exists(existing) || Resume || OverwriteCheckpoint,
                $"CheckpointFolder (--checkpoint-dir) {folder} holds the checkpoint of an earlier run ({existing}): resume it (Resume, --resume), " +
                "start over in it (OverwriteCheckpoint, --overwrite) or choose another folder.");
        }
        Require(!(BaseModelPath is null && Backbone.Equals("resnet18", StringComparison.OrdinalIgnoreCase) && Preprocessing is not null),
            "The resnet18 backbone carries its own preprocessing (BGR minus the ImageNet mean); leave Preprocessing unset.");
    }
}

/// <summary>A progress report of <see cref="FcnTrainer"/>.</summary>
/// <param name="Stage">The architecture being trained.</param>
/// <param name="Epoch">Epoch within the stage (1-based).</param>
/// <param name="Iteration">Iteration within the stage (1-based).</param>
/// <param name="Loss">This iteration's loss (NaN in an end-of-epoch report).</param>
/// <param name="LearningRate">The base learning rate of the iteration.</param>
/// <param name="ValidationMeanIU">Validation mean IU, in the report that closes an epoch (else null).</param>
/// <param name="Elapsed">Wall time since training started.</param>
/// <param name="EndOfEpoch">True for the report that closes an epoch (after validation), false for an iteration's.</param>
public sealed record FcnTrainingProgress(FcnArchitecture Stage, int Epoch, int Iteration, double Loss, double LearningRate,
    double? ValidationMeanIU, TimeSpan Elapsed, bool EndOfEpoch = false);
