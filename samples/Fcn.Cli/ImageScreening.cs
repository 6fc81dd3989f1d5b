using Fcn.Cli.Help;
using Fcn.MLNet.Imaging;

namespace Fcn.Cli;

/// <summary>
/// Checks every image a command will read (<see cref="ImageFileCheck"/>) before any work: a bad file is an error
/// naming it, or, with <c>--skip-bad</c> in batch commands, is left out and listed at the end (exit code 3).
/// Pictures that viewers turn (EXIF orientation) are scored as stored; each is named in a warning.
/// </summary>
internal sealed class ImageScreening
{
    /// <summary>Exit code of a batch command that skipped bad images.</summary>
    public const int SkippedExitCode = 3;

    private static readonly Option MaxPixels = new("max-pixels", "N", "refuse images larger than N pixels (width × height) before decoding them",
        ImageFileCheck.DefaultMaxPixels.ToString(System.Globalization.CultureInfo.InvariantCulture), "pixels");

    private static readonly Option SkipBad = Option.Switch("skip-bad", $"leave out unreadable or oversized images, list them at the end and exit {SkippedExitCode}");

    /// <summary>The flags <see cref="Parse"/> reads: <c>--max-pixels</c>, and <c>--skip-bad</c> in batch commands.</summary>
    public static Option[] Options(bool batch) => batch ? new[] { MaxPixels, SkipBad } : new[] { MaxPixels };

    private readonly long _maxPixels;
    private readonly bool _skipBad;

    /// <summary>Files left out, with the reason.</summary>
    public List<(string Path, string Reason)> Skipped { get; } = new();

    private ImageScreening(long maxPixels, bool skipBad)
    {
        _maxPixels = maxPixels;
        _skipBad = skipBad;
    }

    /// <summary>Reads <c>--max-pixels</c> and, where <paramref name="batch"/>, <c>--skip-bad</c>.</summary>
    public static ImageScreening Parse(CommandLine cl, bool batch)
    {
        long max = ImageFileCheck.DefaultMaxPixels;
        if (cl.Optional("max-pixels") is { } text && (!long.TryParse(text, out max) || max < 1))
            throw new UsageException($"--max-pixels: '{text}' is not a positive pixel count (width × height; default {ImageFileCheck.DefaultMaxPixels})");
        return new ImageScreening(max, batch && cl.Flag("skip-bad"));
    }

    /// <summary>The images that pass (all of them, unless skipping); throws for the first bad one when not skipping.</summary>
    public IReadOnlyList<string> Keep(IEnumerable<string> images, CancellationToken cancel)
    {
        var kept = new List<string>();
        int turned = 0;
        foreach (var image in images)
        {
            cancel.ThrowIfCancellationRequested();
            try
            {
                var info = ImageFileCheck.Check(image, _maxPixels);
                if (info.ViewersReorient && turned++ < 5)
                    Console.Error.WriteLine($"warning: {image} has EXIF orientation {info.ExifOrientation}: it is scored as stored ({info.Width}x{info.Height}), " +
                        "as ML.NET and PIL read it, while photo viewers turn it");
                kept.Add(image);
            }
            catch (InvalidDataException e) when (_skipBad)
            {
                Skipped.Add((image, e.Message));
            }
        }
        if (turned > 5) Console.Error.WriteLine($"warning: {turned - 5} more image(s) with an EXIF orientation");
        return kept;
    }

    /// <summary>Lists the skipped files; the exit code for a run that otherwise succeeded.</summary>
    public int Report()
    {
        if (Skipped.Count == 0) return 0;
        Console.Error.WriteLine($"skipped {Skipped.Count} bad image(s):");
        foreach (var (path, reason) in Skipped) Console.Error.WriteLine($"  {reason}");
        return SkippedExitCode;
    }
}
