namespace Fcn.MLNet;

/// <summary>
/// Writes files so that a reader never sees a half-written one: the data goes to a temporary file in the target's
/// folder, which then replaces the target in one move. On failure the temporary file is removed and any previous
/// file at the target path is left untouched.
/// </summary>
public static class AtomicFile
{
    private const string TemporaryMarker = ".tmp-";

    /// <summary>
    /// Whether <paramref name="path"/> names one of the temporary files <see cref="Write"/> makes
    /// (<c>.&lt;name&gt;.tmp-&lt;32 hex digits&gt;</c>); one that outlives its writer was left by a killed process.
    /// </summary>
    public static bool IsTemporaryName(string path)
    {
        string name = Path.GetFileName(path);
        int marker = name.LastIndexOf(TemporaryMarker, StringComparison.Ordinal);
        return name.StartsWith('.') && marker > 1 && name.Length - marker - TemporaryMarker.Length == 32
            && name.AsSpan(marker + TemporaryMarker.Length).IndexOfAnyExcept("0123456789abcdef") < 0;
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/> atomically.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>Lets <paramref name="write"/> fill a stream that becomes the file at <paramref name="path"/>.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}{TemporaryMarker}{Guid.NewGuid():N}");
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
