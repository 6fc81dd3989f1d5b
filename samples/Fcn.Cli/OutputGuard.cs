namespace Fcn.Cli;

/// <summary>
/// Checks what a command will write before it does any work, so a mistyped flag never destroys a user's file:
/// an output is never one of the inputs, never lands in an input folder (new files never slip among the data), never
/// replaces an existing file unless <c>--overwrite</c> is given, and is a file where a file is expected and a folder
/// where a folder is. Every refusal is a usage error naming the flag and the path.
/// </summary>
internal sealed class OutputGuard(bool overwrite)
{
    /// <summary>The switch that lets a command replace files that exist.</summary>
    public const string OverwriteFlag = "overwrite";

    /// <summary><c>--overwrite</c>, as help describes it.</summary>
    public static readonly Help.Option OverwriteOption = Help.Option.Switch(OverwriteFlag, "replace output files that exist [default: refuse]");

    private readonly List<(string Flag, string Path)> _inputFiles = new();
    private readonly List<(string Flag, string Path)> _inputFolders = new();
    private readonly Dictionary<string, string> _written = new(StringComparer.Ordinal);

    /// <summary>A guard for a command that reads <c>--overwrite</c>.</summary>
    public static OutputGuard For(CommandLine cl) => new(cl.Flag(OverwriteFlag));

    /// <summary>Adds an input file (null is ignored).</summary>
    public OutputGuard InputFile(string flag, string? path)
    {
        if (path is not null) _inputFiles.Add((flag, Full(path)));
        return this;
    }

    /// <summary>Adds input files (e.g. every image a command will read).</summary>
    public OutputGuard InputFiles(string flag, IEnumerable<string> paths)
    {
        foreach (var p in paths) InputFile(flag, p);
        return this;
    }

    /// <summary>Adds an input folder (null is ignored).</summary>
    public OutputGuard InputFolder(string flag, string? path)
    {
        if (path is not null) _inputFolders.Add((flag, Full(path)));
        return this;
    }

    /// <summary>
    /// Checks one output file. <paramref name="mayExist"/> is for a file the command continues (a resumed log):
    /// it may then exist without <c>--overwrite</c>.
    /// </summary>
    public OutputGuard OutputFile(string flag, string? path, bool mayExist = false)
    {
        if (path is null) return this;
        string full = Full(path);
        if (Directory.Exists(full)) throw new UsageException($"{flag} {full} is a folder; give a file name");
        RequireWritableParent(flag, full);
        foreach (var d in _inputFolders)
            if (string.Equals(Path.GetDirectoryName(full), d.Path, StringComparison.Ordinal))
                throw new UsageException($"{flag} {full} would write into the {d.Flag} folder {d.Path}; write the result somewhere else");
        Planned(flag, full, mayExist);
        return this;
    }

    /// <summary>
    /// Checks an output folder and the files the command will write in it (<paramref name="names"/>, relative to it).
    /// </summary>
    public OutputGuard OutputFolder(string flag, string? path, IEnumerable<string>? names = null)
    {
        if (path is null) return this;
        string full = Full(path);
        if (File.Exists(full)) throw new UsageException($"{flag} {full} is a file; give a folder");
        RequireWritableParent(flag, full);
        foreach (var d in _inputFolders)
            if (string.Equals(full, d.Path, StringComparison.Ordinal))
                throw new UsageException($"{flag} {full} would write into the {d.Flag} folder {d.Path}; write the result somewhere else");
        foreach (var name in names ?? Enumerable.Empty<string>()) Planned(flag, Path.Combine(full, name), mayExist: false);
        return this;
    }

    private void Planned(string flag, string full, bool mayExist)
    {
        foreach (var f in _inputFiles)
            if (string.Equals(full, f.Path, StringComparison.Ordinal))
                throw new UsageException($"{flag} {full} is the {f.Flag} input; write the result somewhere else");
        if (_written.TryGetValue(full, out var other))
            throw new UsageException(other == flag ? $"{flag} would write {full} twice" : $"{other} and {flag} name the same file {full}");
        _written[full] = flag;
        if (!overwrite && !mayExist && File.Exists(full))
            throw new UsageException($"{flag}: {full} exists; pass --{OverwriteFlag} to replace it, or write somewhere else");
    }

    private static void RequireWritableParent(string flag, string full)
    {
        // A file standing where a parent folder must be created fails late and obscurely: say so now.
        for (var dir = Path.GetDirectoryName(full); !string.IsNullOrEmpty(dir); dir = Path.GetDirectoryName(dir))
        {
            if (Directory.Exists(dir)) return;
            if (File.Exists(dir)) throw new UsageException($"{flag} {full}: {dir} is a file, not a folder");
        }
    }

    private static string Full(string p) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
}
