using System.ComponentModel;
using Microsoft.ML.Transforms;

namespace Fcn.MLNet.Mappings;

/// <summary>Row with the ONNX class map (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnOnnxClassesRow
{
    /// <summary>Class per pixel as the ONNX transformer declares it (a known size of 1, though rows hold H·W).</summary>
    public int[] __FcnClasses { get; set; } = Array.Empty<int>();
}

/// <summary>Row with the ONNX class map as bytes (internal plumbing of SegmentFcn; models of at most 255 classes).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnOnnxByteClassesRow
{
    /// <summary>Class per pixel, 255 where the scores held a NaN.</summary>
    public byte[] __FcnClasses { get; set; } = Array.Empty<byte>();
}

/// <summary>Row with the class map as a variable-length vector (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnClassMapVectorRow
{
    /// <summary>Class per pixel, row-major, H·W values.</summary>
    public int[] __FcnClassMap { get; set; } = Array.Empty<int>();
}

/// <summary>Row with the ONNX winning scores (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnOnnxScoreRow
{
    /// <summary>Winning score per pixel as the ONNX transformer declares it.</summary>
    public float[] __FcnScore { get; set; } = Array.Empty<float>();
}

/// <summary>Row with the winning scores as a variable-length vector (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnScoreMapVectorRow
{
    /// <summary>Winning score per pixel, row-major, H·W values.</summary>
    public float[] __FcnScoreMap { get; set; } = Array.Empty<float>();
}

/// <summary>
/// ML.NET's ONNX transformer declares an output of symbolic length <c>[pixel_count]</c> as a vector of known size 1;
/// this re-declares the class map as what it is, a vector whose length (H·W) differs per row. Stateless, saves by name.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ClassMapVectorFactory : CustomMappingFactory<FcnOnnxClassesRow, FcnClassMapVectorRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ClassMapVector.v1";

    /// <inheritdoc />
    public override Action<FcnOnnxClassesRow, FcnClassMapVectorRow> GetMapping() => static (input, output) => output.__FcnClassMap = input.__FcnClasses;
}

/// <summary>
/// The byte class map of a model with at most 255 classes (<see cref="Onnx.SegmentationGraph.HasByteClassMap"/>), widened
/// to the int32 column every SegmentFcn gives: 255 becomes <see cref="Onnx.SegmentationGraph.NotAScoreClass"/>.
/// Stateless, saves by name.
/// </summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ByteClassMapVectorFactory : CustomMappingFactory<FcnOnnxByteClassesRow, FcnClassMapVectorRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ByteClassMapVector.v1";

    /// <inheritdoc />
    public override Action<FcnOnnxByteClassesRow, FcnClassMapVectorRow> GetMapping() => static (input, output) =>
    {
        var classes = input.__FcnClasses;
        var map = output.__FcnClassMap.Length == classes.Length ? output.__FcnClassMap : new int[classes.Length];
        for (int i = 0; i < classes.Length; i++)
            map[i] = classes[i] == Onnx.SegmentationGraph.NotAScoreByte ? Onnx.SegmentationGraph.NotAScoreClass : classes[i];
        output.__FcnClassMap = map;
    };
}

/// <summary>The winning-score map re-declared as a variable-length vector (see <see cref="ClassMapVectorFactory"/>).</summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ScoreMapVectorFactory : CustomMappingFactory<FcnOnnxScoreRow, FcnScoreMapVectorRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ScoreMapVector.v1";

    /// <inheritdoc />
    public override Action<FcnOnnxScoreRow, FcnScoreMapVectorRow> GetMapping() => static (input, output) => output.__FcnScoreMap = input.__FcnScore;
}
