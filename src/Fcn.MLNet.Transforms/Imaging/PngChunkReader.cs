using System.Buffers.Binary;
using System.Text;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// Reads the PNG signature and a sequence of chunks (length, type, data, CRC) from a stream,
/// verifying every CRC. Data is read in bounded pieces, so a corrupt length field cannot cause
/// a huge allocation. Errors are <see cref="InvalidDataException"/>s prefixed with the source name.
/// </summary>
internal sealed class PngChunkReader
{
    /// <summary>The eight bytes every PNG file starts with.</summary>
    public static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly Stream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private uint _crc;

    public PngChunkReader(Stream stream, string source)
    {
        _stream = stream;
        Source = source;
    }

    /// <summary>The name used in error messages (a file path, or a generic description).</summary>
    public string Source { get; }

    /// <summary>Type of the current chunk, as four ASCII letters.</summary>
    public string ChunkName { get; private set; } = string.Empty;

    /// <summary>Type of the current chunk as a big-endian 32-bit value.</summary>
    public uint ChunkType { get; private set; }

    /// <summary>Length of the current chunk's data in bytes.</summary>
    public int ChunkLength { get; private set; }

    /// <summary>Whether the current chunk is ancillary (bit 5 of its first type byte is set).</summary>
    public bool IsAncillary => (ChunkType & 0x20000000u) != 0;

    /// <summary>Builds an exception whose message starts with the source name.</summary>
    public InvalidDataException Error(string message, Exception? inner = null) => new($"{Source}: {message}", inner);

    /// <summary>Reads and checks the 8-byte PNG signature.</summary>
    public void ReadSignature()
    {
        Span<byte> sig = stackalloc byte[8];
        int n = _stream.ReadAtLeast(sig, 8, throwOnEndOfStream: false);
        if (n < 8 || !sig.SequenceEqual(Signature))
        {
            throw Error("not a PNG file (bad signature)");
        }
    }

    /// <summary>Reads the length and type of the next chunk.</summary>
    public void ReadChunkHeader()
    {
        Span<byte> header = stackalloc byte[8];
        int n = _stream.ReadAtLeast(header, 8, throwOnEndOfStream: false);
        if (n < 8)
        {
            throw Error(n == 0 ? "truncated file (no IEND chunk)" : "truncated file (incomplete chunk header)");
        }

        uint length = BinaryPrimitives.ReadUInt32BigEndian(header);
        ReadOnlySpan<byte> type = header[4..];
        foreach (byte b in type)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                throw Error($"corrupt chunk type bytes {Convert.ToHexString(type)} after chunk '{ChunkName}'");
            }
        }

        ChunkName = Encoding.ASCII.GetString(type);
        if (length > int.MaxValue)
        {
            throw Error($"chunk '{ChunkName}' has an invalid length {length}");
        }

        ChunkType = BinaryPrimitives.ReadUInt32BigEndian(type);
        ChunkLength = (int)length;
        _crc = Crc32.Update(Crc32.Initial, type);
    }

    /// <summary>Reads the whole data of the current chunk (callers check the length first) and its CRC.</summary>
    public byte[] ReadData()
    {
        var data = new byte[ChunkLength];
        ReadExactly(data);
        _crc = Crc32.Update(_crc, data);
        CheckCrc();
        return data;
    }

    /// <summary>Copies the data of the current chunk to <paramref name="sink"/> (or discards it when null) and checks the CRC.</summary>
    public void CopyData(Stream? sink)
    {
        int remaining = ChunkLength;
        while (remaining > 0)
        {
            Span<byte> piece = _buffer.AsSpan(0, Math.Min(remaining, _buffer.Length));
            ReadExactly(piece);
            _crc = Crc32.Update(_crc, piece);
            sink?.Write(piece);
            remaining -= piece.Length;
        }

        CheckCrc();
    }

    private void CheckCrc()
    {
        Span<byte> stored = stackalloc byte[4];
        ReadExactly(stored);
        uint expected = BinaryPrimitives.ReadUInt32BigEndian(stored);
        uint actual = Crc32.Finish(_crc);
        if (expected != actual)
        {
            throw Error($"CRC mismatch in chunk '{ChunkName}' (stored {expected:X8}, computed {actual:X8})");
        }
    }

    private void ReadExactly(Span<byte> destination)
    {
        int n = _stream.ReadAtLeast(destination, destination.Length, throwOnEndOfStream: false);
        if (n < destination.Length)
        {
            throw Error($"truncated file (unexpected end of data in chunk '{ChunkName}')");
        }
    }
}
