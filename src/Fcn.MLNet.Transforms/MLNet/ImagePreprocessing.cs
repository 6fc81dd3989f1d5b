using System.Text.Json;

namespace Fcn.MLNet;

/// <summary>Order of the colour channels fed to the model.</summary>
public enum ChannelOrder
{
    /// <summary>Red, green, blue (torchvision models).</summary>
    Rgb,

    /// <summary>Blue, green, red (Caffe models, e.g. the reference FCNs).</summary>
    Bgr,
}

/// <summary>
/// How pixels become model input: <c>x = (pixel · Scale − Mean[c]) / Std[c]</c>, channels in
/// <see cref="ChannelOrder"/>, pixel values 0–255. Mean and Std are listed in the model's channel order.
/// </summary>
public sealed record ImagePreprocessing
{
    /// <summary>Multiplies raw 0–255 pixel values first (e.g. 1/255).</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel mean subtracted after scaling (three values, model channel order).</summary>
    public float[] Mean { get; init; } = { 0f, 0f, 0f };

    /// <summary>Per-channel standard deviation divided by last (three values, model channel order).</summary>
    public float[] Std { get; init; } = { 1f, 1f, 1f };

    /// <summary>Channel order the model expects.</summary>
    public ChannelOrder ChannelOrder { get; init; } = ChannelOrder.Rgb;

    /// <summary>Identity preprocessing: RGB, values 0–255.</summary>
    public static ImagePreprocessing None { get; } = new();

    /// <summary>torchvision's ImageNet normalisation: RGB, scale 1/255, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).</summary>
    public static ImagePreprocessing ImageNet { get; } = new()
    {
        Scale = 1f / 255f,
        Mean = new[] { 0.485f, 0.456f, 0.406f },
        Std = new[] { 0.229f, 0.224f, 0.225f },
    };

    /// <summary>The Caffe reference FCN's input: BGR, values 0–255 minus the mean (104.007, 116.669, 122.679).</summary>
    public static ImagePreprocessing CaffeFcn { get; } = new()
    {
        ChannelOrder = ChannelOrder.Bgr,
        Mean = new[] { 104.00698793f, 116.66876762f, 122.67891434f },
    };

    /// <summary>Throws when the values cannot describe a 3-channel normalisation.</summary>
    public void Validate()
    {
        if (Mean is not { Length: 3 }) throw new ArgumentException($"Preprocessing mean needs 3 values, got {Mean?.Length ?? 0}.");
        if (Std is not { Length: 3 }) throw new ArgumentException($"Preprocessing std needs 3 values, got {Std?.Length ?? 0}.");
        if (Std.Any(s => s == 0 || !float.IsFinite(s))) throw new ArgumentException("Preprocessing std values must be finite and non-zero.");
        if (!float.IsFinite(Scale) || Scale == 0) throw new ArgumentException("Preprocessing scale must be finite and non-zero.");
    }

    /// <summary>
    /// The normalisation as one affine map per channel, <c>x = pixel·Multiply[c] + Add[c]</c> with
    /// Multiply = Scale/Std and Add = −Mean/Std: the one formula that both the scoring graph (as Mul and Add nodes)
    /// and the training data path (in C#) apply, so they agree to the bit.
    /// </summary>
    public (float[] Multiply, float[] Add) AffineCoefficients()
    {
        var mul = new float[3];
        var add = new float[3];
        for (int c = 0; c < 3; c++)
        {
            mul[c] = Scale / Std[c];
            add[c] = -Mean[c] / Std[c];
        }
        return (mul, add);
    }

    /// <summary>True when the normalisation changes nothing.</summary>
    public bool IsIdentity => Scale == 1f && Mean.All(m => m == 0f) && Std.All(s => s == 1f);

    /// <summary>JSON form, as stored in a wrapped model's metadata.</summary>
    public string ToJson() => JsonSerializer.Serialize(new
    {
        scale = Scale, mean = Mean, std = Std, channelOrder = ChannelOrder.ToString().ToLowerInvariant(),
    });

    /// <summary>Parses the JSON written by <see cref="ToJson"/> (as stored in model metadata).</summary>
    public static ImagePreprocessing FromJson(string json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            var p = new ImagePreprocessing
            {
                Scale = root.GetProperty("scale").GetSingle(),
                Mean = root.GetProperty("mean").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
                Std = root.GetProperty("std").EnumerateArray().Select(e => e.GetSingle()).ToArray(),
                ChannelOrder = Enum.Parse<ChannelOrder>(root.GetProperty("channelOrder").GetString() ?? "rgb", ignoreCase: true),
            };
            p.Validate();
            return p;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
        {
            throw new InvalidDataException($"Invalid preprocessing metadata '{json}': {e.Message}", e);
        }
    }

    /// <summary>Parses a comma-separated triple such as <c>0.485,0.456,0.406</c>.</summary>
    public static float[] ParseTriple(string text, string what)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var values = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                throw new FormatException($"{what}: '{parts[i]}' is not a number (expected three comma-separated numbers, got '{text}').");
        if (values.Length != 3) throw new FormatException($"{what}: expected three comma-separated numbers, got '{text}'.");
        return values;
    }
}
