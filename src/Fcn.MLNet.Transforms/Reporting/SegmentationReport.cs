using System.Text;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// Writes a segmentation report folder: <c>index.html</c>, one self-contained page (the four metrics, a per-class
/// table and IU bar chart, the row-normalised confusion matrix as a heatmap, and, when evaluated through
/// <see cref="SegmentationReportCatalog"/>, a gallery of the worst and best images), and <c>metrics.json</c>
/// (<see cref="SemanticSegmentationMetrics.ToJson"/>). Each file is written atomically.
/// </summary>
public static class SegmentationReport
{
    /// <summary>The page.</summary>
    public const string HtmlFileName = "index.html";

    /// <summary>The metrics, as <see cref="SemanticSegmentationMetrics.ToJson"/> writes them.</summary>
    public const string MetricsFileName = "metrics.json";

    /// <summary>The files a report folder holds.</summary>
    public static IReadOnlyList<string> FileNames { get; } = new[] { HtmlFileName, MetricsFileName };

    /// <summary>
    /// Writes the report of <paramref name="metrics"/> (no gallery: that needs the images, which the
    /// <c>…WithReport</c> evaluations of <see cref="SegmentationReportCatalog"/> see) to <see cref="SegmentationReportOptions.Folder"/>.
    /// </summary>
    /// <returns>The path of the page.</returns>
    public static string Write(SemanticSegmentationMetrics metrics, SegmentationReportOptions options)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return Write(metrics, null, options);
    }

    /// <summary>The gallery collector for <paramref name="options"/> (already validated).</summary>
    internal static ReportGallery Gallery(SegmentationReportOptions options, int numberOfClasses) =>
        new(options.GalleryImages, options.ThumbnailWidth, options.Palette ?? ColorPalette.PascalVoc(Math.Max(256, numberOfClasses)));

    internal static string Write(SemanticSegmentationMetrics metrics, ReportGallery? gallery, SegmentationReportOptions options)
    {
        string folder = Path.GetFullPath(options.Folder);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllBytes(Path.Combine(folder, MetricsFileName), Encoding.UTF8.GetBytes(metrics.ToJson()));
        string page = Path.Combine(folder, HtmlFileName);
        AtomicFile.WriteAllBytes(page, Encoding.UTF8.GetBytes(ReportHtml.Build(metrics, gallery, options)));
        return page;
    }
}
