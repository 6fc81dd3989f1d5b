using System.Globalization;
using System.Security.Cryptography;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// What a checkpoint was trained with: the starting model, architecture and protocol, classes, the training data and
/// every optimiser and sampling setting that changes the batches or the updates. <see cref="FcnTrainer"/> stores it
/// in each checkpoint and, on resume, refuses a checkpoint whose settings differ (naming each difference), so a
/// resumed run is the run that was interrupted. Epochs and iterations may grow: that extends the run.
/// </summary>
public sealed record TrainingSettings
{
    /// <summary>The starting model: "backbone resnet18", or a file name with the SHA-256 of its bytes.</summary>
    public string Model { get; init; } = "";

    /// <summary>Target architecture.</summary>
    public string Architecture { get; init; } = "";

    /// <summary>Staged or at once.</summary>
    public string Protocol { get; init; } = "";

    /// <summary>Number of classes.</summary>
    public int Classes { get; init; }

    /// <summary>Ignore label.</summary>
    public int IgnoreLabel { get; init; }

    /// <summary>Number of training images and the SHA-256 of their names, sizes and labels.</summary>
    public string Data { get; init; } = "";

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; }

    /// <summary>Momentum, weight decay, multipliers, schedule.</summary>
    public string Optimizer { get; init; } = "";

    /// <summary>Loss: class weights or balancing, loss sampling.</summary>
    public string Loss { get; init; } = "";

    /// <summary>Batching and augmentation: batch size, crop, scale range, mirroring, shuffling, seed.</summary>
    public string Sampling { get; init; } = "";

    /// <summary>The settings of a run of <paramref name="o"/> on the data of fingerprint <paramref name="data"/> (see
    /// <see cref="DataViewSamples.Fingerprint"/>) by <paramref name="ranks"/> data-parallel processes. The batch recorded is
    /// the global one (ranks × batch size): a run resumes with any number of ranks that gives the same global batch.</summary>
    internal static TrainingSettings Of(FcnTrainerOptions o, string data, int ranks = 1)
    {
        var inv = CultureInfo.InvariantCulture;
        string model = o.BaseModelPath is { } path
            ? $"{Path.GetFileName(path)} sha256:{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)))[..16]}"
            : o.Backbone.Equals("resnet18", StringComparison.OrdinalIgnoreCase) ? "backbone resnet18"
            : $"backbone {Path.GetFileName(o.Backbone)} sha256:{Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(o.Backbone)))[..16]}";
        return new TrainingSettings
        {
            Model = model,
            Architecture = o.BaseModelPath is null ? o.Architecture.ToString() : "as given",
            Protocol = o.BaseModelPath is null ? o.Protocol.ToString() : "as given",
            Classes = o.NumberOfClasses,
            IgnoreLabel = o.IgnoreLabel,
            Data = data,
            LearningRate = o.LearningRate,
            Optimizer = string.Create(inv, $"momentum {o.Momentum}, weight decay {o.WeightDecay}, bias lr ×{o.BiasLearningRateMultiplier}, " +
                $"bias decay ×{o.BiasWeightDecayMultiplier}, schedule {o.Schedule}"),
            Loss = string.Create(inv, $"class weights {(o.ClassWeights is { } w ? string.Join(",", w) : o.ClassBalancing.ToString())}, loss sample {o.LossSampleFraction}"),
            Sampling = string.Create(inv, $"batch {o.BatchSize * ranks}, crop {(o.CropSize is { } c ? $"{c.Height}x{c.Width}" : "none")}, " +
                $"scale {(o.ScaleRange is { } r ? $"{r.Min}:{r.Max}" : "none")}, mirror {o.Mirror}, rotate {o.MaxRotationDegrees?.ToString(inv) ?? "none"}, " +
                $"photometric {o.Photometric?.ToString() ?? "none"}, blur {(o.BlurSigma is { } b ? $"{b.Min}:{b.Max}" : "none")}, shuffle {o.Shuffle}, seed {o.Seed}"),
        };
    }

    /// <summary>The settings that differ, as "name: checkpoint → now" lines (empty when they match).</summary>
    public IReadOnlyList<string> Differences(TrainingSettings now, bool allowLearningRateChange)
    {
        var d = new List<string>();
        void Check<T>(string name, T then, T current)
        {
            if (!EqualityComparer<T>.Default.Equals(then, current)) d.Add($"{name}: {then} (checkpoint) → {current} (now)");
        }
        Check("model", Model, now.Model);
        Check("architecture", Architecture, now.Architecture);
        Check("protocol", Protocol, now.Protocol);
        Check("classes", Classes, now.Classes);
        Check("ignore label", IgnoreLabel, now.IgnoreLabel);
        Check("training data", Data, now.Data);
        if (!allowLearningRateChange) Check("learning rate", LearningRate, now.LearningRate);
        Check("optimizer", Optimizer, now.Optimizer);
        Check("loss", Loss, now.Loss);
        Check("sampling", Sampling, now.Sampling);
        return d;
    }
}
