using Microsoft.ML.Data;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// Where the colour bytes of a 32-bit <see cref="MLImage"/> sit: its row stride (<c>Pixels.Length / Height</c>,
/// rows may be padded) and the byte offsets of red, green and blue within a pixel (BGRA or RGBA).
/// </summary>
public readonly record struct MLImageLayout(int Stride, int Red, int Green, int Blue)
{
    /// <summary>The layout of <paramref name="image"/>; <paramref name="what"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The image is not 32 bits per pixel or has no pixels.</exception>
    public static MLImageLayout Of(MLImage image, string what = "image")
    {
        int h = image.Height, w = image.Width;
        if (h <= 0 || w <= 0) throw new InvalidDataException($"{what}: invalid size {w}x{h}.");
        int stride = image.Pixels.Length / h;
        if (image.BitsPerPixel != 32 || stride < 4 * w)
            throw new InvalidDataException($"{what}: expected a 32-bit BGRA/RGBA image, got {image.BitsPerPixel} bits per pixel.");
        bool bgra = image.PixelFormat == MLPixelFormat.Bgra32;
        return new MLImageLayout(stride, bgra ? 2 : 0, 1, bgra ? 0 : 2);
    }
}
