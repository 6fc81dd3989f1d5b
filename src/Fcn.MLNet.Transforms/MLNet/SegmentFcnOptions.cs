namespace Fcn.MLNet;

/// <summary>Options of <see cref="SegmentFcnEstimator"/>: the model, its preprocessing, and the columns.</summary>
public sealed class SegmentFcnOptions
{
    /// <summary>Path of the ONNX model. Either this or <see cref="ModelBytes"/> must be set.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The ONNX model as bytes (e.g. just trained). Either this or <see cref="ModelPath"/> must be set.</summary>
    public byte[]? ModelBytes { get; set; }

    /// <summary>Image column (an <c>MLImage</c> of any size, e.g. from <c>LoadImages</c>).</summary>
    public string InputColumnName { get; set; } = "Image";

    /// <summary>Output class map: a variable-length <c>int</c> vector of H·W class indices, row-major.</summary>
    public string OutputColumnName { get; set; } = "Segmentation";

    /// <summary>Output column with the map's height (int). Default: output column name + "Height".</summary>
    public string? HeightColumnName { get; set; }

    /// <summary>Output column with the map's width (int). Default: output column name + "Width".</summary>
    public string? WidthColumnName { get; set; }

    /// <summary>When set, a float vector column with the winning class's score per pixel (as the model scores it; with
    /// <see cref="TestTimeAugmentation"/>, its averaged probability).</summary>
    public string? ScoreColumnName { get; set; }

    /// <summary>When set, an image column with the class map drawn in the PASCAL VOC palette.</summary>
    public string? ColorizedColumnName { get; set; }

    /// <summary>
    /// Pixel normalisation and channel order the model expects. When null, the model's <c>fcn.preprocessing</c>
    /// metadata is used (written by Fcn.MLNet's builders and trainers), else raw RGB 0–255.
    /// </summary>
    public ImagePreprocessing? Preprocessing { get; set; }

    /// <summary>Class names; when null they are read from the model's metadata_props, if present.</summary>
    public IReadOnlyList<string>? ClassNames { get; set; }

    /// <summary>Name of the score output, for models with several outputs (e.g. torchvision's "out" and "aux").</summary>
    public string? ScoresOutputName { get; set; }

    /// <summary>
    /// Shift-and-stitch (paper 3.2) for a model with coarse output: the model's output stride S and a factor f
    /// dividing it. f² shifted copies of each image are scored and interlaced into a map of stride S/f before the
    /// bilinear resize. The model must accept a batch of f² images. Null (default) scores once.
    /// </summary>
    public (int OutputStride, int Factor)? ShiftAndStitch { get; set; }

    /// <summary>
    /// Test-time augmentation: score each image at several scales and/or mirrored, and take the argmax of the averaged
    /// class probabilities (see <see cref="Fcn.MLNet.TestTimeAugmentation"/>); it costs one forward pass per variant.
    /// Null (default) scores once. Not combinable with <see cref="ShiftAndStitch"/>.
    /// </summary>
    public TestTimeAugmentation? TestTimeAugmentation { get; set; }

    /// <summary>
    /// Tiled (sliding-window) scoring: the image is scored in overlapping tiles, so memory follows the tile, not the
    /// image (see <see cref="Fcn.MLNet.TiledScoring"/>). Null (default) scores the whole image at once. Combines with
    /// <see cref="TestTimeAugmentation"/> (each tile is augmented), not with <see cref="ShiftAndStitch"/>.
    /// </summary>
    public TiledScoring? Tiling { get; set; }

    /// <summary>
    /// CUDA device for ONNX Runtime, or null for CPU. Needs the CUDA build (<c>-p:FcnGpu=true</c>, docs/gpu.md); without
    /// it, and without <see cref="FallbackToCpu"/>, the estimator refuses with a message that says so. A saved zip does
    /// not keep the device: set <c>MLContext.GpuDeviceId</c> before loading it.
    /// </summary>
    public int? GpuDeviceId { get; set; }

    /// <summary>Fall back to CPU when the GPU cannot be used.</summary>
    public bool FallbackToCpu { get; set; }

    /// <summary>A shallow copy (model bytes and class names are shared, not copied).</summary>
    public SegmentFcnOptions Clone() => (SegmentFcnOptions)MemberwiseClone();

    internal string ResolvedHeightColumn => HeightColumnName ?? OutputColumnName + "Height";

    internal string ResolvedWidthColumn => WidthColumnName ?? OutputColumnName + "Width";
}
