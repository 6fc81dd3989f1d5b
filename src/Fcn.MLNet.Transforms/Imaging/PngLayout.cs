namespace Fcn.MLNet.Imaging;

/// <summary>
/// Geometry of PNG scanlines: bytes per row, bytes per pixel for filtering, and the seven Adam7
/// interlace passes. A non-interlaced image is a single pass covering every pixel.
/// </summary>
internal static class PngLayout
{
    /// <summary>One interlace pass: the pixels (StartX + i * StepX, StartY + j * StepY).</summary>
    internal readonly record struct Pass(int StartX, int StartY, int StepX, int StepY);

    private static readonly Pass[] Adam7 =
    [
        new(0, 0, 8, 8),
        new(4, 0, 8, 8),
        new(0, 4, 4, 8),
        new(2, 0, 4, 4),
        new(0, 2, 2, 4),
        new(1, 0, 2, 2),
        new(0, 1, 1, 2),
    ];

    private static readonly Pass[] Single = [new(0, 0, 1, 1)];

    /// <summary>The passes for interlace method 0 (none) or 1 (Adam7).</summary>
    public static ReadOnlySpan<Pass> Passes(bool interlaced) => interlaced ? Adam7 : Single;

    /// <summary>Number of pixels of a pass along one axis (0 when the pass is empty).</summary>
    public static int PassExtent(int size, int start, int step) => size > start ? (size - start + step - 1) / step : 0;

    /// <summary>Bytes in one scanline of <paramref name="pixels"/> pixels, without the filter-type byte.</summary>
    public static long RowBytes(long pixels, int channels, int bitDepth) => ((pixels * channels * bitDepth) + 7) / 8;

    /// <summary>Bytes per complete pixel, rounded up to 1, as used by the Sub, Average and Paeth filters.</summary>
    public static int FilterBytesPerPixel(int channels, int bitDepth) => Math.Max(1, channels * bitDepth / 8);

    /// <summary>Total size of the decompressed image data: every non-empty row of every pass plus its filter byte.</summary>
    public static long RawDataSize(int width, int height, int channels, int bitDepth, bool interlaced)
    {
        long total = 0;
        foreach (Pass pass in Passes(interlaced))
        {
            int w = PassExtent(width, pass.StartX, pass.StepX);
            int h = PassExtent(height, pass.StartY, pass.StepY);
            if (w > 0 && h > 0)
            {
                total += h * (1 + RowBytes(w, channels, bitDepth));
            }
        }

        return total;
    }
}
