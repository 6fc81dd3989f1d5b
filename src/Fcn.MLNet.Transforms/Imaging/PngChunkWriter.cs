using System.Buffers.Binary;

namespace Fcn.MLNet.Imaging;

/// <summary>Writes PNG chunks (length, type, data, CRC) and the PNG signature.</summary>
internal static class PngChunkWriter
{
    public const uint Ihdr = 0x49484452; // "IHDR"
    public const uint Plte = 0x504C5445; // "PLTE"
    public const uint Idat = 0x49444154; // "IDAT"
    public const uint Iend = 0x49454E44; // "IEND"

    /// <summary>Writes the 8-byte PNG signature.</summary>
    public static void WriteSignature(Stream stream) => stream.Write(PngChunkReader.Signature);

    /// <summary>Writes one complete chunk with its CRC (computed over type and data).</summary>
    public static void WriteChunk(Stream stream, uint type, ReadOnlySpan<byte> data)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], type);
        stream.Write(header);
        stream.Write(data);

        uint crc = Crc32.Update(Crc32.Initial, header[4..]);
        crc = Crc32.Finish(Crc32.Update(crc, data));
        Span<byte> trailer = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(trailer, crc);
        stream.Write(trailer);
    }

    /// <summary>Writes an IHDR chunk (compression, filter method 0).</summary>
    public static void WriteHeader(Stream stream, int width, int height, int bitDepth, PngColorType colorType, bool interlaced)
    {
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = (byte)bitDepth;
        ihdr[9] = (byte)colorType;
        ihdr[10] = 0;
        ihdr[11] = 0;
        ihdr[12] = interlaced ? (byte)1 : (byte)0;
        WriteChunk(stream, Ihdr, ihdr);
    }
}
