using System.Runtime.InteropServices;
using System.Text;

namespace Fcn.MLNet.Training.Optimization;

/// <summary>
/// The resumable state of training: the iteration, and for every trained parameter its SGD momentum buffer and
/// (unless the model that goes with the checkpoint already holds them) its values. The file is little-endian binary:
/// the magic <c>FCNCKPT2</c>, the iteration, whether the momentum buffers have started, whether values are included,
/// the parameter count, then per parameter its name (UTF-8, length-prefixed), its element count, its values (when
/// included) and its momentum. Files of the first version (<c>FCNCKPT1</c>, always with values) still load.
/// </summary>
public static class TrainingCheckpoint
{
    private static readonly byte[] MagicV1 = Encoding.ASCII.GetBytes("FCNCKPT1");
    private static readonly byte[] MagicV2 = Encoding.ASCII.GetBytes("FCNCKPT2");

    /// <summary>Writes the state atomically to <paramref name="path"/>, values included.</summary>
    public static void Save(string path, int iteration, bool momentumStarted, IReadOnlyList<TrainableParameter> parameters) =>
        AtomicFile.Write(path, stream => Write(stream, iteration, momentumStarted, parameters, includeValues: true));

    /// <summary>
    /// Writes the state to <paramref name="stream"/>. Leave out the values (<paramref name="includeValues"/> false) when
    /// the checkpoint travels with a model that holds them: it is then half the size.
    /// </summary>
    public static void Write(Stream stream, int iteration, bool momentumStarted, IReadOnlyList<TrainableParameter> parameters, bool includeValues)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(MagicV2);
        w.Write(iteration);
        w.Write(momentumStarted);
        w.Write(includeValues);
        w.Write(parameters.Count);
        foreach (var p in parameters)
        {
            w.Write(p.Name);
            w.Write(p.Values.Length);
            if (includeValues) w.Write(MemoryMarshal.AsBytes(p.Values.AsSpan()));
            w.Write(MemoryMarshal.AsBytes(p.Momentum.AsSpan()));
        }
    }

    /// <summary>
    /// Reads a checkpoint into <paramref name="parameters"/> (matched by name); returns the iteration and whether the
    /// momentum buffers had started.
    /// </summary>
    /// <exception cref="InvalidDataException">Not a checkpoint, or its parameters do not match the trained ones
    /// (the message names the first difference).</exception>
    public static (int Iteration, bool MomentumStarted) Load(string path, IReadOnlyList<TrainableParameter> parameters)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        using var stream = File.OpenRead(path);
        return Read(stream, path, parameters);
    }

    /// <summary>Reads a checkpoint from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    public static (int Iteration, bool MomentumStarted) Read(Stream stream, string source, IReadOnlyList<TrainableParameter> parameters)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = r.ReadBytes(MagicV2.Length);
            bool v1 = magic.AsSpan().SequenceEqual(MagicV1);
            if (!v1 && !magic.AsSpan().SequenceEqual(MagicV2))
                throw new InvalidDataException($"{source} is not an Fcn.MLNet training checkpoint.");
            int iteration = r.ReadInt32();
            bool started = r.ReadBoolean();
            bool values = v1 || r.ReadBoolean();
            int count = r.ReadInt32();
            var byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
            if (count != parameters.Count)
                throw new InvalidDataException($"{source} holds {count} parameters; the trainer trains {parameters.Count}.");
            for (int i = 0; i < count; i++)
            {
                string name = r.ReadString();
                int length = r.ReadInt32();
                if (!byName.TryGetValue(name, out var p))
                    throw new InvalidDataException($"{source}: parameter '{name}' is not trained by this trainer.");
                if (length != p.Values.Length)
                    throw new InvalidDataException($"{source}: parameter '{name}' has {length} values; the model's has {p.Values.Length}.");
                if (values) r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(p.Values.AsSpan()));
                r.BaseStream.ReadExactly(MemoryMarshal.AsBytes(p.Momentum.AsSpan()));
            }
            return (iteration, started);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"{source} is truncated.", e);
        }
    }
}
