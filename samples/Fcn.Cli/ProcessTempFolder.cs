using System.Diagnostics;

namespace Fcn.Cli;

/// <summary>
/// A temp folder of this process's own (<c>$TMPDIR/fcn-cli/&lt;pid&gt;-&lt;id&gt;</c>) that becomes the process's
/// temp path, so every temporary file (ML.NET writes each ONNX model it loads to one) lands in it. It is removed when
/// the command ends, however it ends; folders left by killed processes (whose pid no longer runs) are removed at the
/// next start. The system temp folder is left as it was found.
/// </summary>
internal sealed class ProcessTempFolder : IDisposable
{
    private readonly string? _previous;

    /// <summary>The folder.</summary>
    public string Path { get; }

    private ProcessTempFolder(string path, string? previous)
    {
        Path = path;
        _previous = previous;
    }

    /// <summary>Creates the folder, makes it the temp path (TMPDIR, TMP, TEMP) and removes stale siblings.</summary>
    public static ProcessTempFolder Enter()
    {
        string root = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "fcn-cli");
        RemoveStale(root);
        string path = System.IO.Path.Combine(root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(path);
        string? previous = Environment.GetEnvironmentVariable("TMPDIR");
        foreach (var name in new[] { "TMPDIR", "TMP", "TEMP" }) Environment.SetEnvironmentVariable(name, path);
        return new ProcessTempFolder(path, previous);
    }

    public void Dispose()
    {
        foreach (var name in new[] { "TMPDIR", "TMP", "TEMP" }) Environment.SetEnvironmentVariable(name, _previous);
        TryDelete(Path);
    }

    private static void RemoveStale(string root)
    {
        if (!Directory.Exists(root)) return;
        foreach (var dir in Directory.GetDirectories(root))
        {
            string name = System.IO.Path.GetFileName(dir);
            int dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out int pid) && !Running(pid)) TryDelete(dir);
        }
    }

    private static bool Running(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static void TryDelete(string dir)
    {
        try { Directory.Delete(dir, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
