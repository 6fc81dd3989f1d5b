using System.ComponentModel;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Mappings;

/// <summary>Declares the types of every SegmentFcn output, so the estimator can state its output schema.</summary>
internal static class FcnOutputSchemaProbe
{
    /// <summary>Never run: only its output type is read.</summary>
    public static readonly Action<NoColumns, AllOutputs> Mapping = static (_, _) => { };
}

/// <summary>A row with no columns (schema probe).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class NoColumns
{
}

/// <summary>Every column SegmentFcn can output, under its temporary name (schema probe).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class AllOutputs
{
    /// <summary>Class map.</summary>
    public int[] __FcnClassMap { get; set; } = Array.Empty<int>();

    /// <summary>Height.</summary>
    public int __FcnHeight { get; set; }

    /// <summary>Width.</summary>
    public int __FcnWidth { get; set; }

    /// <summary>Winning score.</summary>
    public float[] __FcnScoreMap { get; set; } = Array.Empty<float>();

    /// <summary>Colorized mask.</summary>
    [FcnImageType]
    public MLImage? __FcnColorMask { get; set; }
}
