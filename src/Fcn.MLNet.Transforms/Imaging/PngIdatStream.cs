namespace Fcn.MLNet.Imaging;

/// <summary>
/// A write-only stream that packages everything written to it into IDAT chunks of at most
/// <see cref="MaxChunkData"/> bytes on the underlying stream. Disposing flushes the last chunk
/// but leaves the underlying stream open.
/// </summary>
internal sealed class PngIdatStream : Stream
{
    public const int MaxChunkData = 256 * 1024;

    private readonly Stream _output;
    private readonly byte[] _buffer = new byte[MaxChunkData];
    private int _count;

    public PngIdatStream(Stream output) => _output = output;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int take = Math.Min(buffer.Length, _buffer.Length - _count);
            buffer[..take].CopyTo(_buffer.AsSpan(_count));
            _count += take;
            buffer = buffer[take..];
            if (_count == _buffer.Length)
            {
                EmitChunk();
            }
        }
    }

    /// <summary>Does nothing: chunks are emitted when full or on dispose, so flushes from zlib do not create tiny chunks.</summary>
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && _count > 0)
        {
            EmitChunk();
        }

        base.Dispose(disposing);
    }

    private void EmitChunk()
    {
        PngChunkWriter.WriteChunk(_output, PngChunkWriter.Idat, _buffer.AsSpan(0, _count));
        _count = 0;
    }
}
