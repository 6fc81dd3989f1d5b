using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// What a segmentation report holds and where it goes: the folder (<c>index.html</c> and <c>metrics.json</c>), the
/// size of the gallery of worst and best images, and how its panels are drawn. Checked once by the report writer.
/// </summary>
/// <example>
/// <code>
/// var metrics = mlContext.SemanticSegmentation().EvaluateWithReport(model.Transform(data), numberOfClasses: 21,
///     new SegmentationReportOptions { Folder = "report", GalleryImages = 6 });
/// </code>
/// </example>
public sealed class SegmentationReportOptions
{
    /// <summary>The widest a gallery panel may be, in pixels (keeps the report small).</summary>
    public const int MaxThumbnailWidth = 640;

    /// <summary>The most images in each half of the gallery.</summary>
    public const int MaxGalleryImages = 100;

    /// <summary>The folder the report is written to (created when missing). Required.</summary>
    public string Folder { get; set; } = "";

    /// <summary>The heading of the page.</summary>
    public string Title { get; set; } = "Segmentation report";

    /// <summary>How many worst and how many best images (by per-image mean IU) the gallery shows: 0 to 100, default 4.</summary>
    public int GalleryImages { get; set; } = 4;

    /// <summary>Width of a gallery panel in pixels (smaller images are not enlarged): 16 to 640, default 320.</summary>
    public int ThumbnailWidth { get; set; } = 320;

    /// <summary>Colours of the truth and prediction panels; null for the PASCAL VOC palette.</summary>
    public ColorPalette? Palette { get; set; }

    /// <summary>The text column of image file paths in evaluated data (as <c>LoadFiles</c> and <c>fcn</c> give); without it the gallery shows no image panel.</summary>
    public string ImageColumnName { get; set; } = "ImagePath";

    /// <summary>
    /// For folder evaluation (<c>EvaluateFoldersWithReport</c>): the images, paired with the masks by file stem, for
    /// the gallery's image panels; null to show truth and prediction only.
    /// </summary>
    public string? ImagesFolder { get; set; }

    /// <summary>
    /// Charts added to the page after the confusion matrix, each under its heading (e.g. the training curves
    /// <c>fcn train</c> adds). The SVG is written as given: pass markup you made, such as <see cref="ReportCharts.Svg"/> returns.
    /// </summary>
    public IList<ReportFigure> Figures { get; } = new List<ReportFigure>();

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Folder)) throw new ArgumentException("Folder: give the folder to write the report to.", nameof(Folder));
        if (GalleryImages is < 0 or > MaxGalleryImages)
            throw new ArgumentOutOfRangeException(nameof(GalleryImages), $"GalleryImages must be 0 to {MaxGalleryImages}, got {GalleryImages}.");
        if (ThumbnailWidth is < 16 or > MaxThumbnailWidth)
            throw new ArgumentOutOfRangeException(nameof(ThumbnailWidth), $"ThumbnailWidth must be 16 to {MaxThumbnailWidth} pixels, got {ThumbnailWidth}.");
        if (ImagesFolder is not null && !Directory.Exists(ImagesFolder))
            throw new DirectoryNotFoundException($"ImagesFolder: {ImagesFolder} is not a folder.");
    }
}
