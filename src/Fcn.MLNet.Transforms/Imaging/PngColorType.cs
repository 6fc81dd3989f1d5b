namespace Fcn.MLNet.Imaging;

/// <summary>The colour type byte of a PNG image header (IHDR), as defined by the PNG specification.</summary>
public enum PngColorType : byte
{
    /// <summary>One grayscale sample per pixel (bit depth 1, 2, 4, 8 or 16).</summary>
    Grayscale = 0,

    /// <summary>Red, green and blue samples per pixel (bit depth 8 or 16).</summary>
    Rgb = 2,

    /// <summary>One palette index per pixel (bit depth 1, 2, 4 or 8); colours come from the PLTE chunk.</summary>
    Indexed = 3,

    /// <summary>Grayscale and alpha samples per pixel (bit depth 8 or 16).</summary>
    GrayscaleAlpha = 4,

    /// <summary>Red, green, blue and alpha samples per pixel (bit depth 8 or 16).</summary>
    Rgba = 6,
}
