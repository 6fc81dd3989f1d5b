using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Microsoft.ML;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// Evaluation with a report: the same evaluators as <see cref="SemanticSegmentationCatalog.Evaluate"/>,
/// <see cref="SemanticSegmentationCatalog.EvaluateFolders"/> and <c>EvaluatePredictions</c>, which also write a
/// <see cref="SegmentationReport"/> with a gallery of the worst and best images. The returned metrics are the ones
/// the plain evaluators give.
/// </summary>
public static class SegmentationReportCatalog
{
    /// <summary>
    /// Scores predicted class maps against ground truth (as <see cref="SemanticSegmentationCatalog.Evaluate"/>) and writes
    /// the report to <see cref="SegmentationReportOptions.Folder"/>. Gallery images are read from
    /// <see cref="SegmentationReportOptions.ImageColumnName"/> when the data has it.
    /// </summary>
    /// <example>
    /// <code>
    /// var scored = model.Transform(mlContext.SemanticSegmentation().LoadFiles(FilePairs.Pair("images", "masks")));
    /// var metrics = mlContext.SemanticSegmentation().EvaluateWithReport(scored, 21, new SegmentationReportOptions { Folder = "report" });
    /// </code>
    /// </example>
    public static SemanticSegmentationMetrics EvaluateWithReport(this SemanticSegmentationCatalog catalog, IDataView data, int numberOfClasses,
        SegmentationReportOptions report, string labelColumnName = "Label", string predictedColumnName = "Segmentation", int? ignoreLabel = 255,
        ColorClassTable? colors = null, IReadOnlyList<string>? classNames = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var gallery = Start(report, numberOfClasses);
        var metrics = catalog.EvaluateImages(data, numberOfClasses, labelColumnName, predictedColumnName, ignoreLabel, colors, classNames, progress,
            report.ImageColumnName, gallery.Add);
        SegmentationReport.Write(metrics, gallery, report);
        return metrics;
    }

    /// <summary>
    /// Scores a folder of predicted index PNGs against a folder of masks (as <see cref="SemanticSegmentationCatalog.EvaluateFolders"/>)
    /// and writes the report; the gallery shows images when <see cref="SegmentationReportOptions.ImagesFolder"/> is given.
    /// </summary>
    public static SemanticSegmentationMetrics EvaluateFoldersWithReport(this SemanticSegmentationCatalog catalog, string masksFolder,
        string predictionsFolder, int numberOfClasses, SegmentationReportOptions report, int? ignoreLabel = 255, ColorClassTable? colors = null,
        IReadOnlyList<string>? classNames = null, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var gallery = Start(report, numberOfClasses);
        Dictionary<string, string>? images = null;
        if (report.ImagesFolder is { } folder)
            images = Directory.EnumerateFiles(folder).Where(f => Data.FilePairs.ImageExtensions.Contains(Path.GetExtension(f)))
                .GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Min(StringComparer.Ordinal)!, StringComparer.Ordinal);
        var metrics = catalog.EvaluateFolderImages(masksFolder, predictionsFolder, numberOfClasses, ignoreLabel, colors, classNames, progress,
            pair => images is not null && images.TryGetValue(pair.Stem, out var image) ? image : null, gallery.Add);
        SegmentationReport.Write(metrics, gallery, report);
        return metrics;
    }

    /// <summary>
    /// Scores predicted class maps against a split of a standard dataset (as <c>EvaluatePredictions</c>) and writes the
    /// report, with the split's images in the gallery.
    /// </summary>
    public static SemanticSegmentationMetrics EvaluatePredictionsWithReport(this SemanticSegmentationCatalog catalog,
        SegmentationDatasetOptions dataset, string predictionsFolder, SegmentationReportOptions report, IProgress<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(dataset);
        var gallery = Start(report, dataset.Layout.NumberOfClasses);
        var metrics = SegmentationDatasetCatalog.EvaluatePredictionImages(catalog, dataset, predictionsFolder, progress, gallery.Add);
        SegmentationReport.Write(metrics, gallery, report);
        return metrics;
    }

    private static ReportGallery Start(SegmentationReportOptions report, int numberOfClasses)
    {
        ArgumentNullException.ThrowIfNull(report);
        report.Validate(); // before any image is scored
        return SegmentationReport.Gallery(report, numberOfClasses);
    }
}
