namespace Fcn.Cli;

/// <summary>
/// Refuses a command whose outputs would overwrite one of its inputs or be written into an input folder (so a
/// mistyped flag never destroys a user's model, images or masks, and never slips new files among the training data).
/// </summary>
internal static class InputGuard
{
    /// <summary>Throws a usage error naming both flags when an output file or folder collides with an input.</summary>
    public static void Check(IEnumerable<(string Flag, string? Path)> inputFiles, IEnumerable<(string Flag, string? Path)> inputFolders,
        IEnumerable<(string Flag, string? Path, bool IsFolder)> outputs)
    {
        static string Full(string p) => Path.TrimEndingDirectorySeparator(Path.GetFullPath(p));
        var files = inputFiles.Where(i => i.Path is not null).Select(i => (i.Flag, Path: Full(i.Path!))).ToList();
        var folders = inputFolders.Where(i => i.Path is not null).Select(i => (i.Flag, Path: Full(i.Path!))).ToList();
        var written = outputs.Where(o => o.Path is not null).Select(o => (o.Flag, Path: Full(o.Path!), o.IsFolder)).ToList();
        foreach (var o in written)
        {
            foreach (var f in files)
                if (string.Equals(o.Path, f.Path, StringComparison.Ordinal))
                    throw new UsageException($"{o.Flag} {o.Path} is the {f.Flag} input; write the result somewhere else");
            foreach (var d in folders)
            {
                string where = o.IsFolder ? o.Path : Path.GetDirectoryName(o.Path) ?? o.Path;
                if (string.Equals(where, d.Path, StringComparison.Ordinal) || string.Equals(o.Path, d.Path, StringComparison.Ordinal))
                    throw new UsageException($"{o.Flag} {o.Path} would write into the {d.Flag} folder {d.Path}; write the result somewhere else");
            }
        }
        for (int i = 0; i < written.Count; i++)
            for (int j = i + 1; j < written.Count; j++)
                if (!written[i].IsFolder && !written[j].IsFolder && string.Equals(written[i].Path, written[j].Path, StringComparison.Ordinal))
                    throw new UsageException($"{written[i].Flag} and {written[j].Flag} name the same file {written[i].Path}");
    }
}
