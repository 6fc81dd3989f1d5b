using System.Text.Json;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Onnx;

/// <summary>The metadata_props keys Fcn.MLNet reads and writes, and their formats.</summary>
public static class ModelMetadata
{
    /// <summary>Class names as a JSON array of strings (written by Fcn.MLNet).</summary>
    public const string ClassNamesKey = "class_names";

    /// <summary>The preprocessing baked into a wrapped model, as JSON.</summary>
    public const string PreprocessingKey = "fcn.preprocessing";

    /// <summary>Number of classes of a wrapped model.</summary>
    public const string NumberOfClassesKey = "fcn.num_classes";

    /// <summary>Keys accepted for class names, in order: ours, then common conventions of other exporters.</summary>
    private static readonly string[] ClassNameKeys = { ClassNamesKey, "classes", "names", "labels" };

    /// <summary>
    /// Reads class names from metadata_props: a JSON array, a JSON object keyed by class index, or a comma- or
    /// newline-separated list. Returns null when no key is present.
    /// </summary>
    public static IReadOnlyList<string>? ReadClassNames(ModelProto model)
    {
        foreach (var key in ClassNameKeys)
        {
            var value = OnnxModelFile.GetMetadata(model, key);
            if (!string.IsNullOrWhiteSpace(value)) return ParseNames(value);
        }
        return null;
    }

    /// <summary>The preprocessing recorded under <see cref="PreprocessingKey"/>, or null when none is.</summary>
    public static ImagePreprocessing? ReadPreprocessing(ModelProto model) =>
        OnnxModelFile.GetMetadata(model, PreprocessingKey) is { } json ? ImagePreprocessing.FromJson(json) : null;

    /// <summary>Writes class names as a JSON array under <see cref="ClassNamesKey"/>.</summary>
    public static void WriteClassNames(ModelProto model, IReadOnlyList<string> names) =>
        OnnxModelFile.SetMetadata(model, ClassNamesKey, JsonSerializer.Serialize(names));

    internal static IReadOnlyList<string> ParseNames(string value)
    {
        string v = value.Trim();
        if (v.StartsWith('['))
            return JsonSerializer.Deserialize<string[]>(v) ?? Array.Empty<string>();
        if (v.StartsWith('{'))
        {
            // {"0": "background", "1": "cat"} (YOLO-style) — order by the numeric key.
            var dict = JsonSerializer.Deserialize<Dictionary<string, string>>(v) ?? new();
            return dict.OrderBy(kv => int.Parse(kv.Key, System.Globalization.CultureInfo.InvariantCulture))
                .Select(kv => kv.Value).ToArray();
        }
        char sep = v.Contains('\n') ? '\n' : ',';
        return v.Split(sep).Select(s => s.Trim()).Where(s => s.Length > 0).ToArray();
    }
}
