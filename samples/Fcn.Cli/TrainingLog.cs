using System.Text.Json;
using Fcn.MLNet.Training.MLNet;

namespace Fcn.Cli;

/// <summary>
/// The <c>fcn train --log</c> file: one JSON object per iteration and line. Each line is written whole and flushed,
/// so a killed run leaves at most one torn last line. A resumed run keeps the lines up to its checkpoint (dropping
/// what the killed run logged after it, and a torn line) and appends, so the file reads as one uninterrupted run.
/// </summary>
internal sealed class TrainingLog : IDisposable
{
    private readonly StreamWriter _writer;

    private TrainingLog(StreamWriter writer) => _writer = writer;

    /// <summary>Opens <paramref name="path"/>: new, or continued after <paramref name="resumeFrom"/>'s last iteration.</summary>
    public static TrainingLog Open(string path, FcnCheckpoint? resumeFrom, bool givenModel)
    {
        if (resumeFrom is null || !File.Exists(path)) return new TrainingLog(new StreamWriter(path, append: false) { AutoFlush = true });
        var stages = Enum.GetNames<Fcn.MLNet.Training.Architectures.FcnArchitecture>().Select(n => n.ToLowerInvariant()).ToList();
        int Rank(string stage) => stages.IndexOf(stage);
        var last = resumeFrom.History.Losses.Count > 0 ? resumeFrom.History.Losses[^1] : null;
        var kept = new List<string>();
        foreach (var line in File.ReadLines(path))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                string stage = root.GetProperty("stage").GetString() ?? "";
                int iteration = root.GetProperty("iteration").GetInt32();
                string lastStage = givenModel ? "model" : last?.Stage.ToLowerInvariant() ?? "";
                bool beforeCheckpoint = last is not null
                    && (stage == lastStage ? iteration <= last.Iteration : !givenModel && Rank(stage) >= 0 && Rank(stage) < Rank(lastStage));
                if (beforeCheckpoint) kept.Add(line);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // A torn line of the killed run, or not ours: dropped.
            }
        }
        Fcn.MLNet.AtomicFile.Write(path, s =>
        {
            using var w = new StreamWriter(s, leaveOpen: true);
            foreach (var line in kept) w.WriteLine(line);
        });
        return new TrainingLog(new StreamWriter(path, append: true) { AutoFlush = true });
    }

    /// <summary>Writes one iteration's line.</summary>
    public void Write(FcnTrainingProgress p, bool givenModel, double seconds) =>
        _writer.WriteLine(JsonSerializer.Serialize(new
        {
            stage = givenModel ? "model" : p.Stage.ToString().ToLowerInvariant(),
            iteration = p.Iteration, epoch = p.Epoch, loss = p.Loss, lr = p.LearningRate, seconds,
        }));

    public void Dispose() => _writer.Dispose();
}
