using System.Buffers.Binary;
using System.IO.Compression;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// Decodes PNG images (every colour type and legal bit depth, all five filter types, Adam7
/// interlacing, multiple IDAT chunks) into a <see cref="PngImage"/> with unscaled samples.
/// Ancillary chunks are skipped; every chunk CRC is verified. Malformed, truncated or non-PNG
/// input raises <see cref="InvalidDataException"/> whose message starts with the file path
/// (or "PNG data" for streams without a name).
/// </summary>
public static class PngDecoder
{
    private const uint ChunkIhdr = 0x49484452; // "IHDR"
    private const uint ChunkPlte = 0x504C5445; // "PLTE"
    private const uint ChunkIdat = 0x49444154; // "IDAT"
    private const uint ChunkIend = 0x49454E44; // "IEND"
    private const string DefaultSource = "PNG data";

    /// <summary>Decodes the PNG file at <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid PNG; the message names the path.</exception>
    public static PngImage Decode(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        return Decode(stream, path);
    }

    /// <summary>Decodes a PNG held in memory.</summary>
    /// <exception cref="InvalidDataException">The data is not a valid PNG.</exception>
    public static PngImage Decode(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        using var stream = new MemoryStream(data, writable: false);
        return Decode(stream, null);
    }

    /// <summary>Decodes a PNG from <paramref name="stream"/>, reading up to the end of its IEND chunk. The stream is not closed.</summary>
    /// <exception cref="InvalidDataException">The data is not a valid PNG.</exception>
    public static PngImage Decode(Stream stream) => Decode(stream, null);

    /// <summary>
    /// Decodes a PNG from <paramref name="stream"/>, using <paramref name="sourceName"/> (for example a
    /// file path) as the prefix of error messages. The stream is not closed.
    /// </summary>
    /// <exception cref="InvalidDataException">The data is not a valid PNG; the message starts with the source name.</exception>
    public static PngImage Decode(Stream stream, string? sourceName)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new PngChunkReader(stream, string.IsNullOrEmpty(sourceName) ? DefaultSource : sourceName);
        reader.ReadSignature();

        Header? header = null;
        byte[]? palette = null;
        bool seenIdat = false;
        using var compressed = new MemoryStream();
        while (true)
        {
            reader.ReadChunkHeader();
            if (header is null && reader.ChunkType != ChunkIhdr)
            {
                throw reader.Error($"first chunk is '{reader.ChunkName}', expected 'IHDR'");
            }

            switch (reader.ChunkType)
            {
                case ChunkIhdr:
                    if (header is not null)
                    {
                        throw reader.Error("duplicate IHDR chunk");
                    }

                    if (reader.ChunkLength != 13)
                    {
                        throw reader.Error($"IHDR chunk has length {reader.ChunkLength}, expected 13");
                    }

                    header = ParseHeader(reader.ReadData(), reader);
                    break;

                case ChunkPlte:
                    palette = ReadPalette(reader, header!.Value, seenIdat, palette is not null);
                    break;

                case ChunkIdat:
                    if (header!.Value.ColorType == PngColorType.Indexed && palette is null)
                    {
                        throw reader.Error("indexed image has no PLTE chunk before its image data");
                    }

                    seenIdat = true;
                    reader.CopyData(compressed);
                    break;

                case ChunkIend:
                    reader.CopyData(null);
                    if (!seenIdat)
                    {
                        throw reader.Error("no IDAT chunk (image data missing)");
                    }

                    compressed.Position = 0;
                    return BuildImage(header!.Value, palette, compressed, reader);

                default:
                    if (!reader.IsAncillary)
                    {
                        throw reader.Error($"unknown critical chunk '{reader.ChunkName}'");
                    }

                    reader.CopyData(null);
                    break;
            }
        }
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced)
    {
        public int Channels => PngImage.ChannelsOf(ColorType);
    }

    private static Header ParseHeader(ReadOnlySpan<byte> data, PngChunkReader reader)
    {
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int bitDepth = data[8];
        byte colorType = data[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw reader.Error($"invalid image size {width}x{height}");
        }

        if (colorType is not (0 or 2 or 3 or 4 or 6))
        {
            throw reader.Error($"invalid colour type {colorType}");
        }

        var type = (PngColorType)colorType;
        if (!PngImage.IsValidBitDepth(type, bitDepth))
        {
            throw reader.Error($"bit depth {bitDepth} is not allowed for colour type {type}");
        }

        if (data[10] != 0 || data[11] != 0)
        {
            throw reader.Error($"unsupported compression method {data[10]} or filter method {data[11]}");
        }

        if (data[12] > 1)
        {
            throw reader.Error($"invalid interlace method {data[12]}");
        }

        var header = new Header((int)width, (int)height, bitDepth, type, data[12] == 1);
        long samples = (long)header.Width * header.Height * header.Channels;
        long raw = PngLayout.RawDataSize(header.Width, header.Height, header.Channels, bitDepth, header.Interlaced);
        if (samples > Array.MaxLength || raw > Array.MaxLength)
        {
            throw reader.Error($"image {width}x{height} ({type}, {bitDepth}-bit) is too large to decode");
        }

        return header;
    }

    private static byte[]? ReadPalette(PngChunkReader reader, Header header, bool seenIdat, bool seenPalette)
    {
        if (seenIdat || seenPalette)
        {
            throw reader.Error(seenIdat ? "PLTE chunk after image data" : "duplicate PLTE chunk");
        }

        if (header.ColorType is PngColorType.Grayscale or PngColorType.GrayscaleAlpha)
        {
            throw reader.Error($"PLTE chunk is not allowed for colour type {header.ColorType}");
        }

        int length = reader.ChunkLength;
        if (length == 0 || length % 3 != 0 || length > 768)
        {
            throw reader.Error($"PLTE chunk has invalid length {length} (must be 3 to 768 and a multiple of 3)");
        }

        byte[] palette = reader.ReadData();

        // For truecolour images PLTE is only a suggested quantisation palette; it is not part of the pixel data.
        return header.ColorType == PngColorType.Indexed ? palette : null;
    }

    private static PngImage BuildImage(Header header, byte[]? palette, Stream compressed, PngChunkReader reader)
    {
        int channels = header.Channels;
        int rawSize = (int)PngLayout.RawDataSize(header.Width, header.Height, channels, header.BitDepth, header.Interlaced);
        byte[] raw = Inflate(compressed, rawSize, reader);
        var samples = new ushort[(long)header.Width * header.Height * channels];
        int bpp = PngLayout.FilterBytesPerPixel(channels, header.BitDepth);
        byte[] zeroRow = new byte[PngLayout.RowBytes(header.Width, channels, header.BitDepth)];

        int offset = 0;
        int passIndex = 0;
        foreach (PngLayout.Pass pass in PngLayout.Passes(header.Interlaced))
        {
            passIndex++;
            int passWidth = PngLayout.PassExtent(header.Width, pass.StartX, pass.StepX);
            int passHeight = PngLayout.PassExtent(header.Height, pass.StartY, pass.StepY);
            if (passWidth == 0 || passHeight == 0)
            {
                continue;
            }

            int rowBytes = (int)PngLayout.RowBytes(passWidth, channels, header.BitDepth);
            ReadOnlySpan<byte> prior = zeroRow.AsSpan(0, rowBytes);
            for (int j = 0; j < passHeight; j++)
            {
                byte filter = raw[offset];
                Span<byte> row = raw.AsSpan(offset + 1, rowBytes);
                if (!PngFilters.TryUnfilter(filter, row, prior, bpp))
                {
                    string where = header.Interlaced ? $"row {j} of interlace pass {passIndex}" : $"row {j}";
                    throw reader.Error($"invalid filter type {filter} in {where}");
                }

                int y = pass.StartY + (j * pass.StepY);
                PngSampleUnpacker.UnpackRow(row, header.BitDepth, channels, passWidth, samples, y, header.Width, pass.StartX, pass.StepX);
                prior = row;
                offset += rowBytes + 1;
            }
        }

        return new PngImage(header.Width, header.Height, header.ColorType, header.BitDepth, samples, palette);
    }

    private static byte[] Inflate(Stream compressed, int rawSize, PngChunkReader reader)
    {
        var raw = new byte[rawSize];
        int got;
        try
        {
            using var zlib = new ZLibStream(compressed, CompressionMode.Decompress, leaveOpen: true);
            got = zlib.ReadAtLeast(raw, rawSize, throwOnEndOfStream: false);
            if (got == rawSize)
            {
                // Reading past the expected size lets zlib reach its end marker and verify the Adler-32
                // checksum. Surplus data after the scanlines is tolerated.
                Span<byte> probe = stackalloc byte[1];
                _ = zlib.Read(probe);
            }
        }
        catch (InvalidDataException ex)
        {
            throw reader.Error($"corrupt compressed image data ({ex.Message})", ex);
        }

        if (got < rawSize)
        {
            throw reader.Error($"truncated image data (expected {rawSize} bytes of scanlines after decompression, got {got})");
        }

        return raw;
    }
}
