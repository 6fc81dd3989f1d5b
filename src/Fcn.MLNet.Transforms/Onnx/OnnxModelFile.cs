using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;

namespace Fcn.MLNet.Onnx;

/// <summary>Reads, creates and atomically writes ONNX models.</summary>
public static class OnnxModelFile
{
    /// <summary>Default opset for graphs built by Fcn.MLNet.</summary>
    public const int DefaultOpset = 17;

    /// <summary>Parses an ONNX model from bytes; <paramref name="source"/> names it in error messages.</summary>
    public static ModelProto Parse(byte[] bytes, string source = "model")
    {
        try
        {
            var model = ModelProto.Parser.ParseFrom(bytes);
            if (model.Graph is null)
                throw new InvalidDataException($"{source}: not an ONNX model (no graph).");
            return model;
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{source}: not an ONNX model ({e.Message}).", e);
        }
    }

    /// <summary>Loads an ONNX model from a file, with errors that name the file.</summary>
    public static ModelProto Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Wraps a graph into a model importing the default ONNX domain at <paramref name="opset"/>.</summary>
    public static ModelProto CreateModel(GraphProto graph, int opset = DefaultOpset, string producer = "Fcn.MLNet")
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = typeof(OnnxModelFile).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        return model;
    }

    /// <summary>The opset version the model imports for the default ONNX domain (0 if none).</summary>
    public static long DefaultDomainOpset(ModelProto model) =>
        model.OpsetImport.Where(o => !o.HasDomain || o.Domain is "" or "ai.onnx").Select(o => o.Version).DefaultIfEmpty(0).Max();

    /// <summary>Writes the model to a temporary file beside <paramref name="path"/> and moves it into place.</summary>
    public static void Save(ModelProto model, string path) => AtomicFile.WriteAllBytes(path, model.ToByteArray());

    /// <summary>Reads a metadata_props value, or null.</summary>
    public static string? GetMetadata(ModelProto model, string key) =>
        model.MetadataProps.FirstOrDefault(p => p.Key == key)?.Value;

    /// <summary>Sets (or replaces) a metadata_props value.</summary>
    public static void SetMetadata(ModelProto model, string key, string value)
    {
        var existing = model.MetadataProps.FirstOrDefault(p => p.Key == key);
        if (existing is not null) existing.Value = value;
        else model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
    }
}
