using System.Buffers.Binary;
using System.IO.Compression;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Scoring;

/// <summary>
/// What a saved segmentation model says about itself: class names, number of classes and preprocessing, read from
/// the ONNX metadata — of a .onnx file, or of the ONNX model inside an ML.NET model zip (which OnnxTransformer stores
/// as a length-prefixed <c>OnnxModel</c> entry).
/// </summary>
public sealed record SegmentationModelInfo(IReadOnlyList<string>? ClassNames, int? NumberOfClasses, string? PreprocessingJson)
{
    /// <summary>Reads the info of a .onnx or .zip model; errors name the file.</summary>
    public static SegmentationModelInfo Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model not found: {path}", path);
        var model = path.EndsWith(".zip", StringComparison.OrdinalIgnoreCase) ? FromZip(path) : OnnxModelFile.Load(path);
        int? classes = int.TryParse(OnnxModelFile.GetMetadata(model, ModelMetadata.NumberOfClassesKey), out var k) ? k : null;
        var names = ModelMetadata.ReadClassNames(model);
        return new SegmentationModelInfo(names, classes ?? names?.Count, OnnxModelFile.GetMetadata(model, ModelMetadata.PreprocessingKey));
    }

    private static ModelProto FromZip(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var entries = zip.Entries.Where(e => e.Name == "OnnxModel").ToList();
        if (entries.Count != 1)
            throw new InvalidDataException($"{path}: expected one ONNX model inside the zip, found {entries.Count}.");
        using var stream = entries[0].Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        int length = bytes.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(bytes) : -1;
        if (length != bytes.Length - 4) throw new InvalidDataException($"{path}: the OnnxModel entry is not a length-prefixed ONNX model.");
        return OnnxModelFile.Parse(bytes[4..].ToArray(), path);
    }
}
