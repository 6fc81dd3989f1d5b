using Fcn.MLNet.Imaging;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// One training example: an image as planar preprocessed floats <c>[3, H, W]</c> (the model's channel order,
/// <c>(pixel·scale − mean)/std</c>) and its label map of the same size.
/// </summary>
public sealed class SegmentationSample
{
    /// <summary>Creates a sample; the image must hold 3·H·W values for the label map's size.</summary>
    public SegmentationSample(float[] image, LabelMap labels)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(labels);
        if (image.LongLength != 3L * labels.Width * labels.Height)
            throw new ArgumentException($"A {labels.Width}x{labels.Height} sample needs {3L * labels.Width * labels.Height} image values, got {image.LongLength}.");
        Image = image;
        Labels = labels;
    }

    /// <summary>Planar preprocessed pixels [3, H, W].</summary>
    public float[] Image { get; }

    /// <summary>The label map.</summary>
    public LabelMap Labels { get; }

    /// <summary>W.</summary>
    public int Width => Labels.Width;

    /// <summary>H.</summary>
    public int Height => Labels.Height;

    /// <summary>Loads a photo (JPEG, PNG, … through ML.NET's MLImage) and its PNG mask (see <see cref="MaskReader"/>).</summary>
    /// <exception cref="InvalidDataException">The image and mask sizes differ; the message names both files.</exception>
    public static SegmentationSample Load(string imagePath, string maskPath, ImagePreprocessing preprocessing, ColorClassTable? colors = null)
    {
        if (!File.Exists(imagePath)) throw new FileNotFoundException($"Image not found: {imagePath}", imagePath);
        var labels = MaskReader.Read(maskPath, colors);
        using var image = MLImage.CreateFromFile(imagePath);
        if (image.Width != labels.Width || image.Height != labels.Height)
            throw new InvalidDataException(
                $"Image {imagePath} is {image.Width}x{image.Height} but its mask {maskPath} is {labels.Width}x{labels.Height}.");
        return new SegmentationSample(ToPlanar(image, preprocessing), labels);
    }

    /// <summary>
    /// Converts a 32-bit MLImage (BGRA or RGBA, any row stride) to planar floats in the model's channel order with
    /// <paramref name="preprocessing"/> applied.
    /// </summary>
    public static float[] ToPlanar(MLImage image, ImagePreprocessing preprocessing)
    {
        preprocessing.Validate();
        int h = image.Height, w = image.Width;
        var layout = MLImageLayout.Of(image);
        var pixels = image.Pixels;
        int stride = layout.Stride;
        bool modelBgr = preprocessing.ChannelOrder == ChannelOrder.Bgr;
        var source = new[] { modelBgr ? layout.Blue : layout.Red, layout.Green, modelBgr ? layout.Red : layout.Blue };
        int plane = h * w;
        var planar = new float[3 * plane];
        var (multiply, shift) = preprocessing.AffineCoefficients(); // the scoring graph's Mul/Add, see ImagePreprocessing
        for (int c = 0; c < 3; c++)
        {
            float mul = multiply[c], add = shift[c];
            var dst = planar.AsSpan(c * plane, plane);
            for (int y = 0; y < h; y++)
            {
                var row = pixels.Slice(y * stride, 4 * w);
                for (int x = 0; x < w; x++) dst[y * w + x] = row[4 * x + source[c]] * mul + add;
            }
        }
        return planar;
    }
}
