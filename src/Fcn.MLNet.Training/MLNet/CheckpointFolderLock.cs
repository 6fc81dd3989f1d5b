namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// Holds a checkpoint folder for one training run: an exclusive lock on <c>.fcn-train.lock</c> in it (released by
/// the operating system even when the process is killed), so two runs never write the same checkpoint. While the
/// lock is held, temporary files of <see cref="AtomicFile"/>'s naming in the folder can only be left-overs of a killed
/// run, and are removed.
/// </summary>
public sealed class CheckpointFolderLock : IDisposable
{
    /// <summary>The lock file's name inside the folder.</summary>
    public const string FileName = ".fcn-train.lock";

    private readonly FileStream _stream;
    private readonly string _path;

    private CheckpointFolderLock(FileStream stream, string path, IReadOnlyList<string> removed)
    {
        _stream = stream;
        _path = path;
        RemovedStaleFiles = removed;
    }

    /// <summary>Half-written files of an earlier, interrupted run that were removed.</summary>
    public IReadOnlyList<string> RemovedStaleFiles { get; }

    /// <summary>Creates <paramref name="folder"/> if needed and takes its lock.</summary>
    /// <exception cref="IOException">Another run holds the folder (the message names it).</exception>
    public static CheckpointFolderLock Acquire(string folder)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new IOException($"CheckpointFolder {folder} is in use by another training run (it holds {path}); wait for it or choose another folder.", e);
        }
        var removed = new List<string>();
        foreach (var file in Directory.GetFiles(folder).Where(AtomicFile.IsTemporaryName))
        {
            try
            {
                File.Delete(file);
                removed.Add(file);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return new CheckpointFolderLock(stream, path, removed);
    }

    /// <summary>Releases the lock and removes the lock file.</summary>
    public void Dispose()
    {
        try { File.Delete(_path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        _stream.Dispose();
    }
}
