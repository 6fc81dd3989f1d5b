using System.Buffers.Binary;
using System.IO.Compression;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// Writes non-interlaced PNG images: 8- and 16-bit grayscale, 8-bit RGB and RGBA, and 8-bit indexed
/// (with a PLTE palette). Pixel data is row-major with interleaved samples. The destination stream
/// is written from its current position and is not closed.
/// </summary>
public static class PngEncoder
{
    /// <summary>
    /// The zlib compression level used when none is given: <see cref="CompressionLevel.Optimal"/>. On label masks
    /// it gives files about 2.5 times smaller than <see cref="CompressionLevel.Fastest"/> at about the same speed
    /// (row filtering dominates the encode time); <see cref="CompressionLevel.SmallestSize"/> saves little more
    /// and is up to twice as slow on photographs.
    /// </summary>
    public const CompressionLevel DefaultCompression = CompressionLevel.Optimal;

    /// <summary>Writes an 8-bit grayscale PNG; <paramref name="pixels"/> holds <paramref name="width"/> * <paramref name="height"/> bytes.</summary>
    public static void WriteGray8(Stream stream, int width, int height, ReadOnlySpan<byte> pixels, CompressionLevel compression = DefaultCompression)
    {
        Validate(stream, width, height, pixels.Length, 1, nameof(pixels));
        WriteImage(stream, width, height, PngColorType.Grayscale, 8, pixels, default, compression);
    }

    /// <summary>Writes a 16-bit grayscale PNG; <paramref name="pixels"/> holds <paramref name="width"/> * <paramref name="height"/> values.</summary>
    public static void WriteGray16(Stream stream, int width, int height, ReadOnlySpan<ushort> pixels, CompressionLevel compression = DefaultCompression)
    {
        Validate(stream, width, height, pixels.Length, 1, nameof(pixels));
        var bigEndian = new byte[pixels.Length * 2];
        for (int i = 0; i < pixels.Length; i++)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bigEndian.AsSpan(2 * i), pixels[i]);
        }

        WriteImage(stream, width, height, PngColorType.Grayscale, 16, bigEndian, default, compression);
    }

    /// <summary>Writes an 8-bit RGB PNG; <paramref name="rgb"/> holds R, G, B bytes for each of the <paramref name="width"/> * <paramref name="height"/> pixels.</summary>
    public static void WriteRgb8(Stream stream, int width, int height, ReadOnlySpan<byte> rgb, CompressionLevel compression = DefaultCompression)
    {
        Validate(stream, width, height, rgb.Length, 3, nameof(rgb));
        WriteImage(stream, width, height, PngColorType.Rgb, 8, rgb, default, compression);
    }

    /// <summary>Writes an 8-bit RGBA PNG (non-premultiplied alpha); <paramref name="rgba"/> holds 4 bytes per pixel.</summary>
    public static void WriteRgba8(Stream stream, int width, int height, ReadOnlySpan<byte> rgba, CompressionLevel compression = DefaultCompression)
    {
        Validate(stream, width, height, rgba.Length, 4, nameof(rgba));
        WriteImage(stream, width, height, PngColorType.Rgba, 8, rgba, default, compression);
    }

    /// <summary>
    /// Writes an 8-bit indexed PNG: one palette index per pixel in <paramref name="indices"/> and a PLTE
    /// chunk built from <paramref name="paletteRgb"/> (1 to 256 RGB triples). Every index must be below
    /// the number of palette entries.
    /// </summary>
    public static void WriteIndexed8(
        Stream stream, int width, int height, ReadOnlySpan<byte> indices, ReadOnlySpan<byte> paletteRgb, CompressionLevel compression = DefaultCompression)
    {
        Validate(stream, width, height, indices.Length, 1, nameof(indices));
        if (paletteRgb.IsEmpty || paletteRgb.Length % 3 != 0 || paletteRgb.Length > 768)
        {
            throw new ArgumentException(
                $"The palette must hold 1 to 256 RGB triples (3 to 768 bytes, a multiple of 3); got {paletteRgb.Length} bytes.", nameof(paletteRgb));
        }

        int entries = paletteRgb.Length / 3;
        if (entries < 256)
        {
            int bad = indices.IndexOfAnyInRange((byte)entries, (byte)255);
            if (bad >= 0)
            {
                throw new ArgumentException(
                    $"Index {indices[bad]} at pixel ({bad % width}, {bad / width}) is not below the palette size {entries}.", nameof(indices));
            }
        }

        WriteImage(stream, width, height, PngColorType.Indexed, 8, indices, paletteRgb, compression);
    }

    private static void Validate(Stream stream, int width, int height, int length, int channels, string paramName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height * channels;
        if (length != expected)
        {
            throw new ArgumentException(
                $"A {width}x{height} image with {channels} sample(s) per pixel needs {expected} values, got {length}.", paramName);
        }
    }

    /// <summary>
    /// Writes signature, IHDR, optional PLTE, IDAT and IEND. <paramref name="data"/> holds the rows already
    /// packed in PNG byte order. Truecolour and grayscale rows use the adaptive (minimum sum of absolute
    /// differences) filter choice; indexed rows use filter None, as the PNG specification recommends.
    /// </summary>
    private static void WriteImage(
        Stream stream, int width, int height, PngColorType colorType, int bitDepth, ReadOnlySpan<byte> data, ReadOnlySpan<byte> palette, CompressionLevel compression)
    {
        int channels = PngImage.ChannelsOf(colorType);
        int rowBytes = checked((int)PngLayout.RowBytes(width, channels, bitDepth));
        int bpp = PngLayout.FilterBytesPerPixel(channels, bitDepth);
        bool adaptive = colorType != PngColorType.Indexed;

        PngChunkWriter.WriteSignature(stream);
        PngChunkWriter.WriteHeader(stream, width, height, bitDepth, colorType, interlaced: false);
        if (!palette.IsEmpty)
        {
            PngChunkWriter.WriteChunk(stream, PngChunkWriter.Plte, palette);
        }

        var line = new byte[rowBytes + 1];
        var scratch = new byte[rowBytes];
        var zeroRow = new byte[rowBytes];
        using (var idat = new PngIdatStream(stream))
        {
            using var zlib = new ZLibStream(idat, compression, leaveOpen: true);
            ReadOnlySpan<byte> prior = zeroRow;
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = data.Slice(y * rowBytes, rowBytes);
                if (adaptive)
                {
                    line[0] = PngFilters.FilterAdaptive(row, prior, bpp, line.AsSpan(1), scratch);
                }
                else
                {
                    line[0] = PngFilters.None;
                    row.CopyTo(line.AsSpan(1));
                }

                zlib.Write(line);
                prior = row;
            }
        }

        PngChunkWriter.WriteChunk(stream, PngChunkWriter.Iend, ReadOnlySpan<byte>.Empty);
    }
}
