using System.Runtime.InteropServices;
using System.Text;

namespace Fcn.MLNet.Training.Optimization;

/// <summary>
/// The resumable state of training: the iteration, and for every trained parameter its values and its SGD momentum
/// buffer. The file is little-endian binary: the magic <c>FCNCKPT1</c>, the iteration, whether the momentum buffers
/// have started, the parameter count, then per parameter its name (UTF-8, length-prefixed), its element count, its
/// values and its momentum.
/// </summary>
public static class TrainingCheckpoint
{
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("FCNCKPT1");

    /// <summary>Writes the state atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, int iteration, bool momentumStarted, IReadOnlyList<TrainableParameter> parameters) =>
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            w.Write(Magic);
            w.Write(iteration);
            w.Write(momentumStarted);
            w.Write(parameters.Count);
            foreach (var p in parameters)
            {
                w.Write(p.Name);
                w.Write(p.Values.Length);
                w.Write(MemoryMarshal.AsBytes(p.Values.AsSpan()));
                w.Write(MemoryMarshal.AsBytes(p.Momentum.AsSpan()));
            }
        });

    /// <summary>
    /// Reads a checkpoint into <paramref name="parameters"/> (matched by name); returns the iteration and whether the
    /// momentum buffers had started.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or its parameters do not match the trained ones
    /// (the message names the first difference).</exception>
    public static (int Iteration, bool MomentumStarted) Load(string path, IReadOnlyList<TrainableParameter> parameters)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        using var r = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (!r.ReadBytes(Magic.Length).AsSpan().SequenceEqual(Magic))
            throw new InvalidDataException($"{path} is not an Fcn.MLNet training checkpoint.");
        int iteration = r.ReadInt32();
        bool started = r.ReadBoolean();
        int count = r.ReadInt32();
        var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        if (count != parameters.Count)
            throw new InvalidDataException($"{path} holds {count} parameters; the trainer trains {parameters.Count}.");
        for (int i = 0; i < count; i++)
        {
            string name = r.ReadString();
            int length = r.ReadInt32();
            if (!byName.TryGetValue(name, out var p))
                throw new InvalidDataException($"{path}: parameter '{name}' is not trained by this trainer.");
            if (length != p.Values.Length)
                throw new InvalidDataException($"{path}: parameter '{name}' has {length} values; the model's has {p.Values.Length}.");
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(p.Values.AsSpan()));
            r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(p.Momentum.AsSpan()));
        }
        return (iteration, started);
    }
}
