using System.IO.Compression;
using System.Text.Json;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// Everything <see cref="FcnTrainer"/> needs to continue after a crash: the stage's model (ONNX), the engine's
/// checkpoint of that stage (<see cref="Optimization.TrainingCheckpoint"/>: iteration and momentum; the values are the model's),
/// the stage and epoch reached, and the curves so far — one zip, written to a temporary file and moved into place,
/// so a crash while saving leaves the previous checkpoint intact.
/// </summary>
public sealed class FcnCheckpoint
{
    /// <summary>File name inside the checkpoint folder.</summary>
    public const string FileName = "checkpoint.fcn.zip";

    /// <summary>The architecture being trained.</summary>
    public required FcnArchitecture Stage { get; init; }

    /// <summary>Epochs finished in this stage.</summary>
    public required int Epoch { get; init; }

    /// <summary>The model at this point (forward graph with trained weights).</summary>
    public required byte[] Model { get; init; }

    /// <summary>The engine's checkpoint bytes (restored with <see cref="OnnxFcnTrainer.LoadCheckpoint(Stream, string)"/>).</summary>
    public required byte[] EngineState { get; init; }

    /// <summary>Training curves so far.</summary>
    public required TrainingHistory History { get; init; }

    /// <summary>The settings the run was started with (null in checkpoints of versions that did not record them).</summary>
    public TrainingSettings? Settings { get; init; }

    /// <summary>Captures <paramref name="trainer"/>'s state after an epoch (the engine state without the values <see cref="Model"/> holds).</summary>
    public static FcnCheckpoint Capture(OnnxFcnTrainer trainer, FcnArchitecture stage, int epoch, TrainingHistory history, TrainingSettings? settings = null)
    {
        using var state = new MemoryStream();
        trainer.SaveCheckpoint(state, includeValues: false);
        return new FcnCheckpoint { Stage = stage, Epoch = epoch, Model = trainer.ExportModel(), EngineState = state.ToArray(), History = history, Settings = settings };
    }

    /// <summary>Restores the engine state into a trainer created from <see cref="Model"/>.</summary>
    public void RestoreInto(OnnxFcnTrainer trainer)
    {
        using var state = new MemoryStream(EngineState, writable: false);
        trainer.LoadCheckpoint(state, FileName);
    }

    /// <summary>Writes the checkpoint atomically into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        AtomicFile.Write(Path.Combine(folder, FileName), stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var s = zip.CreateEntry("model.onnx", CompressionLevel.Fastest).Open()) s.Write(Model);
            using (var s = zip.CreateEntry("engine.ckpt", CompressionLevel.Fastest).Open()) s.Write(EngineState);
            using (var s = zip.CreateEntry("state.json").Open())
                JsonSerializer.Serialize(s, new State(Stage.ToString(), Epoch, History, Settings));
        });
    }

    /// <summary>Loads the checkpoint in <paramref name="folder"/>, or null when there is none.</summary>
    public static FcnCheckpoint? Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            byte[] Read(string entry)
            {
                using var s = (zip.GetEntry(entry) ?? throw new InvalidDataException($"missing entry {entry}")).Open();
                using var m = new MemoryStream();
                s.CopyTo(m);
                return m.ToArray();
            }
            var state = JsonSerializer.Deserialize<State>(Read("state.json")) ?? throw new InvalidDataException("empty state");
            return new FcnCheckpoint
            {
                Stage = Enum.Parse<FcnArchitecture>(state.Stage), Epoch = state.Epoch,
                Model = Read("model.onnx"), EngineState = Read("engine.ckpt"), History = state.History, Settings = state.Settings,
            };
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a readable Fcn.MLNet checkpoint ({e.Message}).", e);
        }
    }

    private sealed record State(string Stage, int Epoch, TrainingHistory History, TrainingSettings? Settings = null);
}

/// <summary>One iteration's loss and learning rate (null in checkpoints of versions that did not record it).</summary>
public sealed record LossPoint(string Stage, int Iteration, double Loss, double? LearningRate = null);

/// <summary>
/// One epoch's validation mean IU and IU per class (null for a class neither present nor predicted; the list is null
/// in checkpoints of versions that did not record it).
/// </summary>
public sealed record ValidationPoint(string Stage, int Epoch, double MeanIU, IReadOnlyList<double?>? PerClassIU = null);

/// <summary>The curves of a training run: loss and learning rate per iteration, validation IU per epoch, by stage.</summary>
public sealed class TrainingHistory
{
    /// <summary>Loss of every iteration, in order.</summary>
    public List<LossPoint> Losses { get; init; } = new();

    /// <summary>Validation mean IU after every epoch, in order.</summary>
    public List<ValidationPoint> Validation { get; init; } = new();
}
