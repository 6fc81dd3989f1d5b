using System.IO.Compression;
using System.Text.Json;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// Everything needed to continue training after a crash: the stage's current model (ONNX), the optimizer's
/// momentum buffers, the stage/epoch/iteration reached and the curves so far. Saved as one zip, written to a
/// temporary file and moved into place, so a crash while saving leaves the previous checkpoint intact.
/// </summary>
public sealed class TrainingCheckpoint
{
    /// <summary>File name inside the checkpoint folder.</summary>
    public const string FileName = "checkpoint.fcn.zip";

    /// <summary>The architecture being trained.</summary>
    public required FcnArchitecture Stage { get; init; }

    /// <summary>Epochs finished in this stage.</summary>
    public required int Epoch { get; init; }

    /// <summary>Iterations finished in this stage.</summary>
    public required int Iteration { get; init; }

    /// <summary>The model at this point (forward graph with trained weights).</summary>
    public required byte[] Model { get; init; }

    /// <summary>Momentum buffer per trained parameter.</summary>
    public required IReadOnlyDictionary<string, float[]> Momentum { get; init; }

    /// <summary>Training curves so far.</summary>
    public required TrainingHistory History { get; init; }

    /// <summary>Writes the checkpoint atomically into <paramref name="folder"/>.</summary>
    public void Save(string folder)
    {
        AtomicFile.Write(Path.Combine(folder, FileName), stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            using (var s = zip.CreateEntry("model.onnx", CompressionLevel.Fastest).Open()) s.Write(Model);
            using (var s = zip.CreateEntry("state.json").Open())
                JsonSerializer.Serialize(s, new State(Stage.ToString(), Epoch, Iteration, History));
            using (var s = new BinaryWriter(zip.CreateEntry("momentum.bin", CompressionLevel.Fastest).Open()))
            {
                s.Write(Momentum.Count);
                foreach (var (name, values) in Momentum)
                {
                    s.Write(name);
                    s.Write(values.Length);
                    foreach (var v in values) s.Write(v);
                }
            }
        });
    }

    /// <summary>Loads the checkpoint in <paramref name="folder"/>, or null when there is none.</summary>
    public static TrainingCheckpoint? Load(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return null;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            byte[] model;
            using (var s = zip.GetEntry("model.onnx")!.Open())
            using (var m = new MemoryStream())
            {
                s.CopyTo(m);
                model = m.ToArray();
            }
            State state;
            using (var s = zip.GetEntry("state.json")!.Open())
                state = JsonSerializer.Deserialize<State>(s) ?? throw new InvalidDataException("empty state");
            var momentum = new Dictionary<string, float[]>(StringComparer.Ordinal);
            using (var r = new BinaryReader(zip.GetEntry("momentum.bin")!.Open()))
            {
                int count = r.ReadInt32();
                for (int i = 0; i < count; i++)
                {
                    string name = r.ReadString();
                    var values = new float[r.ReadInt32()];
                    for (int k = 0; k < values.Length; k++) values[k] = r.ReadSingle();
                    momentum[name] = values;
                }
            }
            return new TrainingCheckpoint
            {
                Stage = Enum.Parse<FcnArchitecture>(state.Stage), Epoch = state.Epoch, Iteration = state.Iteration,
                Model = model, Momentum = momentum, History = state.History,
            };
        }
        catch (Exception e) when (e is InvalidDataException or JsonException or NullReferenceException or EndOfStreamException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a readable Fcn.MLNet checkpoint ({e.Message}).", e);
        }
    }

    private sealed record State(string Stage, int Epoch, int Iteration, TrainingHistory History);
}

/// <summary>One iteration's loss.</summary>
public sealed record LossPoint(string Stage, int Iteration, double Loss);

/// <summary>One epoch's validation mean IU.</summary>
public sealed record ValidationPoint(string Stage, int Epoch, double MeanIU);

/// <summary>The curves of a training run: loss per iteration and validation mean IU per epoch, by stage.</summary>
public sealed class TrainingHistory
{
    /// <summary>Loss of every iteration, in order.</summary>
    public List<LossPoint> Losses { get; init; } = new();

    /// <summary>Validation mean IU after every epoch, in order.</summary>
    public List<ValidationPoint> Validation { get; init; } = new();
}
