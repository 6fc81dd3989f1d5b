namespace Fcn.MLNet.Imaging;

/// <summary>
/// A decoded PNG image in its native colour type and bit depth. Samples are stored one value per
/// sample, row-major and interleaved (for RGB: R, G, B, R, G, B, ...). Sub-byte depths (1, 2, 4) are
/// unpacked but not rescaled, so a 2-bit grayscale pixel is 0..3 and a 4-bit palette index is 0..15;
/// 16-bit samples hold their 16-bit value.
/// </summary>
public sealed class PngImage
{
    /// <summary>Creates an image, validating the combination of colour type, bit depth and sample count.</summary>
    /// <param name="width">Width in pixels (at least 1).</param>
    /// <param name="height">Height in pixels (at least 1).</param>
    /// <param name="colorType">The PNG colour type.</param>
    /// <param name="bitDepth">Bits per sample; must be legal for <paramref name="colorType"/>.</param>
    /// <param name="samples">Width * Height * Channels sample values, each expected below 2^bitDepth (not range-checked).</param>
    /// <param name="palette">RGB triples for <see cref="PngColorType.Indexed"/> images (1 to 256 entries); null otherwise.</param>
    public PngImage(int width, int height, PngColorType colorType, int bitDepth, ushort[] samples, byte[]? palette = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (!IsValidBitDepth(colorType, bitDepth))
        {
            throw new ArgumentException($"Bit depth {bitDepth} is not allowed for colour type {colorType}.", nameof(bitDepth));
        }

        int channels = ChannelsOf(colorType);
        long expected = (long)width * height * channels;
        if (samples.LongLength != expected)
        {
            throw new ArgumentException(
                $"Expected {expected} samples for a {width}x{height} {colorType} image, got {samples.LongLength}.", nameof(samples));
        }

        if (colorType == PngColorType.Indexed)
        {
            if (palette is null || palette.Length == 0 || palette.Length % 3 != 0 || palette.Length > 768)
            {
                throw new ArgumentException("An indexed image needs a palette of 1 to 256 RGB triples.", nameof(palette));
            }
        }
        else if (palette is not null)
        {
            throw new ArgumentException("Only indexed images carry a palette.", nameof(palette));
        }

        Width = width;
        Height = height;
        ColorType = colorType;
        BitDepth = bitDepth;
        Channels = channels;
        Samples = samples;
        Palette = palette;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The PNG colour type.</summary>
    public PngColorType ColorType { get; }

    /// <summary>Bits per sample (1, 2, 4, 8 or 16).</summary>
    public int BitDepth { get; }

    /// <summary>Samples per pixel: 1 (grayscale, indexed), 2 (grayscale+alpha), 3 (RGB) or 4 (RGBA).</summary>
    public int Channels { get; }

    /// <summary>The PLTE palette as RGB triples for indexed images; null for other colour types.</summary>
    public byte[]? Palette { get; }

    /// <summary>Width * Height * Channels samples, row-major and interleaved, unscaled.</summary>
    public ushort[] Samples { get; }

    /// <summary>Returns sample <paramref name="channel"/> of the pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public ushort GetSample(int x, int y, int channel = 0)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height || (uint)channel >= (uint)Channels)
        {
            throw new ArgumentOutOfRangeException(
                nameof(x), $"({x}, {y}, channel {channel}) is outside the {Width}x{Height}x{Channels} image.");
        }

        return Samples[(((long)y * Width) + x) * Channels + channel];
    }

    /// <summary>Returns the number of samples per pixel for a colour type.</summary>
    public static int ChannelsOf(PngColorType colorType) => colorType switch
    {
        PngColorType.Grayscale => 1,
        PngColorType.Rgb => 3,
        PngColorType.Indexed => 1,
        PngColorType.GrayscaleAlpha => 2,
        PngColorType.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(colorType), $"Unknown PNG colour type {(int)colorType}."),
    };

    /// <summary>Whether the PNG specification allows <paramref name="bitDepth"/> for <paramref name="colorType"/>.</summary>
    public static bool IsValidBitDepth(PngColorType colorType, int bitDepth) => colorType switch
    {
        PngColorType.Grayscale => bitDepth is 1 or 2 or 4 or 8 or 16,
        PngColorType.Indexed => bitDepth is 1 or 2 or 4 or 8,
        PngColorType.Rgb or PngColorType.GrayscaleAlpha or PngColorType.Rgba => bitDepth is 8 or 16,
        _ => false,
    };
}
