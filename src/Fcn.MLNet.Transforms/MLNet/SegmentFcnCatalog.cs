using Microsoft.ML;

namespace Fcn.MLNet;

/// <summary>Adds <c>SegmentFcn</c> to <c>mlContext.Transforms</c>.</summary>
public static class SegmentFcnCatalog
{
    /// <summary>
    /// Segments images of any size with a fully convolutional network in ONNX form: a per-pixel class map the size
    /// of each image, plus its height and width (and optionally scores and a colorized mask).
    /// </summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="options">Model, preprocessing and column options.</param>
    public static SegmentFcnEstimator SegmentFcn(this TransformsCatalog catalog, SegmentFcnOptions options) =>
        new(catalog, options);

    /// <summary>Segments images with the FCN in <paramref name="modelPath"/>.</summary>
    /// <param name="catalog">The transforms catalog.</param>
    /// <param name="modelPath">ONNX model with input [1, 3, H, W] (H, W dynamic) and output [1, C, h, w].</param>
    /// <param name="outputColumnName">Class map column (int vector of H·W, row-major).</param>
    /// <param name="inputColumnName">Image column (MLImage of any size).</param>
    /// <param name="preprocessing">Pixel normalisation; defaults to the model's metadata, else raw RGB 0–255.</param>
    /// <example><code>ml.Transforms.LoadImages("Image", folder, "Path").Append(ml.Transforms.SegmentFcn("fcn.onnx"))</code></example>
    public static SegmentFcnEstimator SegmentFcn(this TransformsCatalog catalog, string modelPath,
        string outputColumnName = "Segmentation", string inputColumnName = "Image", ImagePreprocessing? preprocessing = null) =>
        new(catalog, new SegmentFcnOptions
        {
            ModelPath = modelPath,
            OutputColumnName = outputColumnName,
            InputColumnName = inputColumnName,
            Preprocessing = preprocessing,
        });
}
