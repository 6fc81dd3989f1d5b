using System.IO.Compression;
using System.Text;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Tests.Imaging;

/// <summary>
/// A deliberately simple, independent PNG writer used to build test inputs for the decoder:
/// raw chunks with a bit-by-bit CRC, zlib via the BCL, a chosen filter type per row and optional
/// Adam7 interlacing. It shares no code with the library.
/// </summary>
internal static class PngTestBuilder
{
    public static readonly byte[] Signature = [137, 80, 78, 71, 13, 10, 26, 10];

    private static readonly (int X, int Y, int Dx, int Dy)[] Adam7Passes =
    [
        (0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2),
    ];

    /// <summary>CRC-32 computed one bit at a time (slow but obviously correct).</summary>
    public static uint Crc(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) == 1 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    public static byte[] Chunk(string type, byte[] data)
    {
        byte[] typeBytes = Encoding.ASCII.GetBytes(type);
        var crcInput = typeBytes.Concat(data).ToArray();
        return [.. BigEndian((uint)data.Length), .. crcInput, .. BigEndian(Crc(crcInput))];
    }

    public static byte[] Ihdr(int width, int height, int bitDepth, int colorType, int interlace = 0) =>
        Chunk("IHDR", [.. BigEndian((uint)width), .. BigEndian((uint)height), (byte)bitDepth, (byte)colorType, 0, 0, (byte)interlace]);

    public static byte[] Zlib(byte[] raw)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal))
        {
            z.Write(raw);
        }

        return output.ToArray();
    }

    public static byte[] Png(params byte[][] chunks) => [.. Signature, .. chunks.SelectMany(c => c)];

    /// <summary>
    /// Encodes <paramref name="samples"/> (one value per sample, row-major, interleaved) as a PNG.
    /// <paramref name="filterFor"/> picks the filter type from (pass index, row index within the pass).
    /// The zlib stream is split into IDAT chunks of <paramref name="idatPiece"/> bytes.
    /// </summary>
    public static byte[] Build(
        int width, int height, PngColorType colorType, int bitDepth, ushort[] samples, bool interlaced,
        Func<int, int, byte> filterFor, byte[]? palette = null, int idatPiece = int.MaxValue, bool ancillary = false)
    {
        int channels = colorType switch
        {
            PngColorType.Rgb => 3,
            PngColorType.GrayscaleAlpha => 2,
            PngColorType.Rgba => 4,
            _ => 1,
        };
        int bpp = Math.Max(1, channels * bitDepth / 8);
        var raw = new List<byte>();
        (int X, int Y, int Dx, int Dy)[] passes = interlaced ? Adam7Passes : [(0, 0, 1, 1)];
        for (int p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            var xs = Enumerable.Range(0, width).Where(x => x >= x0 && (x - x0) % dx == 0).ToArray();
            var ys = Enumerable.Range(0, height).Where(y => y >= y0 && (y - y0) % dy == 0).ToArray();
            if (xs.Length == 0 || ys.Length == 0)
            {
                continue;
            }

            byte[]? prior = null;
            for (int j = 0; j < ys.Length; j++)
            {
                var values = xs.SelectMany(x => Enumerable.Range(0, channels).Select(c => samples[(((ys[j] * width) + x) * channels) + c]));
                byte[] row = Pack(values.ToArray(), bitDepth);
                prior ??= new byte[row.Length];
                byte type = filterFor(p, j);
                raw.Add(type);
                raw.AddRange(FilterRow(type, row, prior, bpp));
                prior = row;
            }
        }

        var chunks = new List<byte[]> { Ihdr(width, height, bitDepth, (int)colorType, interlaced ? 1 : 0) };
        if (ancillary)
        {
            chunks.Add(Chunk("tEXt", Encoding.ASCII.GetBytes("Comment\0made by the test builder")));
        }

        if (palette is not null)
        {
            chunks.Add(Chunk("PLTE", palette));
        }

        byte[] z = Zlib(raw.ToArray());
        for (int i = 0; i < z.Length; i += idatPiece)
        {
            chunks.Add(Chunk("IDAT", z.Skip(i).Take(idatPiece).ToArray()));
        }

        if (ancillary)
        {
            chunks.Add(Chunk("prIv", [1, 2, 3]));
        }

        chunks.Add(Chunk("IEND", []));
        return Png([.. chunks]);
    }

    /// <summary>Packs samples into bytes, most significant bits first, big-endian for 16-bit.</summary>
    public static byte[] Pack(ushort[] values, int bitDepth)
    {
        if (bitDepth == 16)
        {
            return values.SelectMany(v => new[] { (byte)(v >> 8), (byte)v }).ToArray();
        }

        var bytes = new byte[((values.Length * bitDepth) + 7) / 8];
        for (int i = 0; i < values.Length; i++)
        {
            for (int k = 0; k < bitDepth; k++)
            {
                int bit = (values[i] >> (bitDepth - 1 - k)) & 1;
                int pos = (i * bitDepth) + k;
                bytes[pos / 8] |= (byte)(bit << (7 - (pos % 8)));
            }
        }

        return bytes;
    }

    /// <summary>Applies a PNG filter to one raw row, written straight from the specification.</summary>
    public static byte[] FilterRow(byte type, byte[] row, byte[] prior, int bpp)
    {
        var output = new byte[row.Length];
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prior[i];
            int c = i >= bpp ? prior[i - bpp] : 0;
            int predictor = type switch
            {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => Paeth(a, b, c),
                _ => throw new ArgumentOutOfRangeException(nameof(type)),
            };
            output[i] = unchecked((byte)(row[i] - predictor));
        }

        return output;
    }

    /// <summary>Splits a PNG into (type, data) chunks, checking every CRC with <see cref="Crc"/>.</summary>
    public static List<(string Type, byte[] Data)> ReadChunks(byte[] png)
    {
        if (!png.Take(8).SequenceEqual(Signature))
        {
            throw new InvalidOperationException("bad signature");
        }

        var chunks = new List<(string, byte[])>();
        int pos = 8;
        while (pos < png.Length)
        {
            int length = (int)ReadBigEndian(png, pos);
            byte[] typeAndData = png.Skip(pos + 4).Take(4 + length).ToArray();
            uint crc = ReadBigEndian(png, pos + 8 + length);
            if (crc != Crc(typeAndData))
            {
                throw new InvalidOperationException($"CRC mismatch in chunk at offset {pos}");
            }

            chunks.Add((Encoding.ASCII.GetString(typeAndData, 0, 4), typeAndData[4..]));
            pos += 12 + length;
        }

        return chunks;
    }

    public static uint ReadBigEndian(byte[] data, int offset) =>
        ((uint)data[offset] << 24) | ((uint)data[offset + 1] << 16) | ((uint)data[offset + 2] << 8) | data[offset + 3];

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static byte[] BigEndian(uint v) => [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v];
}
