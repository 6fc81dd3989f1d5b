using System.IO.Compression;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet;

/// <summary>
/// The wrapped ONNX graph inside a SegmentFcn model zip: ML.NET's ONNX transformer stores the model's bytes in an entry
/// named <c>…/OnnxModel</c>, as its binary writer writes a byte array (an int32 length, then the bytes). Reading it and writing a copy of the zip with new bytes there lets a graph rewrite
/// that keeps the inputs and outputs (int8 quantization) keep everything else of the saved pipeline.
/// </summary>
internal static class ModelZipOnnxEntry
{
    private const string EntrySuffix = "/OnnxModel";

    /// <summary>The entry's name and the graph SegmentFcn wrapped; the message names the zip when there is none.</summary>
    public static (string Entry, ModelProto Model) Read(string zipPath)
    {
        using var zip = OpenZip(zipPath);
        var found = new List<(string, ModelProto)>();
        foreach (var entry in zip.Entries.Where(e => e.FullName.EndsWith(EntrySuffix, StringComparison.Ordinal)))
        {
            using var stream = entry.Open();
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            var bytes = buffer.ToArray();
            if (bytes.Length < 4 || BitConverter.ToInt32(bytes, 0) != bytes.Length - 4)
                throw new InvalidDataException($"{zipPath}: entry {entry.FullName} is not a length-prefixed ONNX model as ML.NET writes it.");
            var model = OnnxModelFile.Parse(bytes[4..], $"{zipPath}:{entry.FullName}");
            var inputs = model.Graph.Input.Select(i => i.Name).ToHashSet();
            if (inputs.Contains(SegmentationGraph.PixelsInput) && inputs.Contains(SegmentationGraph.SizeInput)) found.Add((entry.FullName, model));
        }
        return found.Count == 1 ? found[0] : throw new InvalidDataException(found.Count == 0
            ? $"{zipPath}: no SegmentFcn model was found in the zip (expected a zip from fcn import, fcn train or a saved SegmentFcn pipeline)."
            : $"{zipPath}: the zip holds {found.Count} SegmentFcn models; expected one.");
    }

    /// <summary>Writes a copy of <paramref name="zipPath"/> to <paramref name="outputPath"/> (atomically) with <paramref name="entry"/> replaced.</summary>
    public static void WriteCopy(string zipPath, string entry, byte[] onnx, string outputPath)
    {
        using var source = OpenZip(zipPath);
        AtomicFile.Write(outputPath, stream =>
        {
            using var copy = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var e in source.Entries)
            {
                using var to = copy.CreateEntry(e.FullName, CompressionLevel.Optimal).Open();
                if (e.FullName == entry)
                {
                    to.Write(BitConverter.GetBytes(onnx.Length));
                    to.Write(onnx);
                }
                else
                {
                    using var from = e.Open();
                    from.CopyTo(to);
                }
            }
        });
    }

    private static ZipArchive OpenZip(string zipPath)
    {
        try
        {
            return ZipFile.OpenRead(zipPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{zipPath} is not a readable zip archive ({e.Message.TrimEnd('.')}).", e);
        }
    }
}
