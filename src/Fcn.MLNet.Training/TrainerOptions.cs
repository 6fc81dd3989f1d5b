using Fcn.MLNet.Training.Optimization;

namespace Fcn.MLNet.Training;

/// <summary>Settings of <see cref="OnnxFcnTrainer"/>: optimizer, loss, schedule and engine.</summary>
public sealed class TrainerOptions
{
    /// <summary>Base learning rate η.</summary>
    public double LearningRate { get; set; } = 1e-4;

    /// <summary>Momentum μ of SGD.</summary>
    public double Momentum { get; set; } = 0.9;

    /// <summary>Weight decay λ (L2, added to the gradient as in torch.optim.SGD).</summary>
    public double WeightDecay { get; set; } = 5e-4;

    /// <summary>Learning-rate multiplier of biases (the reference FCN's <c>lr_mult: 2</c>; the defaults are those of
    /// <see cref="MLNet.FcnTrainerOptions"/>, docs/training.md).</summary>
    public double BiasLearningRateMultiplier { get; set; } = 2.0;

    /// <summary>Weight-decay multiplier of biases (the reference FCN's <c>decay_mult: 0</c>).</summary>
    public double BiasWeightDecayMultiplier { get; set; }

    /// <summary>Per-parameter learning-rate multiplier by name (applied on top of the bias multiplier), or null.</summary>
    public Func<string, double>? LearningRateMultiplier { get; set; }

    /// <summary>Learning-rate schedule (default fixed).</summary>
    public LearningRateSchedule Schedule { get; set; } = LearningRateSchedule.Fixed;

    /// <summary>Label of pixels that carry no loss (PASCAL VOC uses 255); null for none.</summary>
    public int? IgnoreLabel { get; set; } = 255;

    /// <summary>The number of classes the caller expects the model to score; null accepts the model's own count.</summary>
    public int? NumberOfClasses { get; set; }

    /// <summary>Per-class loss weights (length C), or null for equal weights.</summary>
    public float[]? ClassWeights { get; set; }

    /// <summary>Loss sampling: the probability that a pixel's loss term is kept (1 keeps all).</summary>
    public double LossSampleFraction { get; set; } = 1.0;

    /// <summary>Seed of loss sampling and of active dropout.</summary>
    public int Seed { get; set; } = 1;

    /// <summary>Parameters for which this returns true are frozen (stay initializers, never updated).</summary>
    public Func<string, bool>? IsFrozen { get; set; }

    /// <summary>
    /// Train a float tensor that several nodes read (directly or through Identity) as one tied weight. Off by default:
    /// exporters merge equal-valued tensors (e.g. two bilinear-initialised upsamplings, or a BatchNorm scale and a
    /// running variance of ones), which the source framework trains apart; see <see cref="Surgery.SharedInitializers"/>.
    /// </summary>
    public bool KeepSharedWeightsTied { get; set; }

    /// <summary>Images per batch when training from a <see cref="Data.SegmentationDataset"/>.</summary>
    public int BatchSize { get; set; } = 1;

    /// <summary>
    /// Fixed training size (height, width) when training from a dataset: random crops, padded with the ignore label
    /// where the image is smaller. Null trains whole images at native size (one session per batch shape).
    /// </summary>
    public (int Height, int Width)? CropSize { get; set; }

    /// <summary>Mirror samples horizontally at random when training from a dataset.</summary>
    public bool Mirror { get; set; } = true;

    /// <summary>Run Dropout nodes in training mode (seeded random masks) instead of as the identity.</summary>
    public bool ActiveDropout { get; set; }

    /// <summary>The image input's name, when the model has more than one input.</summary>
    public string? ImageInputName { get; set; }

    /// <summary>The scores output's name, when the model has more than one output.</summary>
    public string? ScoresOutputName { get; set; }

    /// <summary>Most training sessions kept at once (one per image batch shape, least recently used dropped).</summary>
    public int MaxCachedShapes { get; set; } = 4;

    /// <summary>ONNX Runtime intra-op threads; 0 uses one per core.</summary>
    public int Threads { get; set; }

    /// <summary>
    /// Run the training step on this CUDA device (the CUDA build, docs/gpu.md); null runs it on the CPU. The buffers stay
    /// bound to host memory, so ONNX Runtime copies inputs and parameters to the device on each step.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>
    /// Train data-parallel with the other ranks of this MPI world: each rank's batches are its share of the global
    /// batch, parameters start as rank 0's, and each step's loss and gradients are those of the whole global batch
    /// (see <see cref="Distributed.DataParallelLoss"/>). Null (the default) trains in this process alone.
    /// </summary>
    public Distributed.MpiWorld? World { get; set; }

    /// <summary>When set, ONNX Runtime writes a profile (chrome trace JSON) of each training session to files with this prefix.</summary>
    public string? ProfileOutputPrefix { get; set; }

    /// <summary>Checks the values; throws naming the bad one.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"Learning rate must be positive, got {LearningRate}.");
        if (Momentum is < 0 or >= 1) throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}.");
        if (WeightDecay < 0) throw new ArgumentException($"Weight decay must be ≥ 0, got {WeightDecay}.");
        if (LossSampleFraction is <= 0 or > 1) throw new ArgumentException($"Loss sample fraction must be in (0, 1], got {LossSampleFraction}.");
        if (BatchSize < 1) throw new ArgumentException($"Batch size must be ≥ 1, got {BatchSize}.");
        if (CropSize is { } crop && (crop.Height < 1 || crop.Width < 1)) throw new ArgumentException($"Crop size must be positive, got {crop.Width}x{crop.Height}.");
        if (MaxCachedShapes < 1) throw new ArgumentException($"MaxCachedShapes must be ≥ 1, got {MaxCachedShapes}.");
        if (ClassWeights is not null && ClassWeights.Any(w => w < 0 || !float.IsFinite(w)))
            throw new ArgumentException("Class weights must be finite and ≥ 0.");
    }
}
