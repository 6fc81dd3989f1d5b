using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;
using Microsoft.ML;

namespace Fcn.MLNet.Evaluation;

/// <summary>Semantic segmentation tasks of an <see cref="MLContext"/>: <c>mlContext.SemanticSegmentation()</c>.</summary>
public sealed class SemanticSegmentationCatalog
{
    internal SemanticSegmentationCatalog(MLContext context)
    {
        Context = context;
        Trainers = new SemanticSegmentationTrainers(context);
    }

    /// <summary>The context this catalog belongs to.</summary>
    public MLContext Context { get; }

    /// <summary>Trainers (FCN fine-tuning: <c>Trainers.Fcn(...)</c> from Fcn.MLNet.Training).</summary>
    public SemanticSegmentationTrainers Trainers { get; }

    /// <summary>
    /// Scores predicted class maps against ground truth over a whole dataset, streaming one row at a time, and
    /// returns the FCN paper's metrics. The label column holds either mask file paths (text; read by
    /// <see cref="MaskReader"/>) or integer vectors; the prediction column holds integer vectors (as produced by
    /// SegmentFcn) or prediction file paths. When the prediction column has a companion <c>…Height</c> column,
    /// mask and prediction sizes are compared as width×height.
    /// </summary>
    /// <param name="data">Rows with labels and predictions.</param>
    /// <param name="numberOfClasses">n_cl; true labels must be in [0, n_cl) or the ignore label.</param>
    /// <param name="labelColumnName">Ground-truth column.</param>
    /// <param name="predictedColumnName">Predicted class-map column.</param>
    /// <param name="ignoreLabel">True label that is not scored (255 in PASCAL VOC); null to ignore none.</param>
    /// <param name="colors">Colour→class table for RGB masks.</param>
    /// <param name="classNames">Names to attach to the metrics.</param>
    /// <param name="progress">Reports the number of rows scored.</param>
    /// <remarks>
    /// A mask-path label column annotated with a <see cref="LabelMapping"/> (as <c>LoadDataset</c> gives) is mapped as
    /// it is read.
    /// </remarks>
    public SemanticSegmentationMetrics Evaluate(IDataView data, int numberOfClasses, string labelColumnName = "Label",
        string predictedColumnName = "Segmentation", int? ignoreLabel = 255, ColorClassTable? colors = null,
        IReadOnlyList<string>? classNames = null, IProgress<int>? progress = null) =>
        EvaluateImages(data, numberOfClasses, labelColumnName, predictedColumnName, ignoreLabel, colors, classNames, progress, null, null);

    /// <summary>
    /// <see cref="Evaluate(IDataView, int, string, string, int?, ColorClassTable?, IReadOnlyList{string}?, IProgress{int}?)"/>
    /// that also hands every image, with its own confusion matrix, to <paramref name="perImage"/> (and reads its file
    /// from <paramref name="imageColumnName"/> when the data has that text column).
    /// </summary>
    internal SemanticSegmentationMetrics EvaluateImages(IDataView data, int numberOfClasses, string labelColumnName,
        string predictedColumnName, int? ignoreLabel, ColorClassTable? colors, IReadOnlyList<string>? classNames,
        IProgress<int>? progress, string? imageColumnName, Action<ImageEvaluation>? perImage)
    {
        var matrix = new SegmentationConfusionMatrix(numberOfClasses);
        var label = data.Schema.GetColumnOrNull(labelColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumnName), $"Label column '{labelColumnName}' not found.");
        var predicted = data.Schema.GetColumnOrNull(predictedColumnName)
            ?? throw new ArgumentOutOfRangeException(nameof(predictedColumnName), $"Prediction column '{predictedColumnName}' not found.");
        var height = data.Schema.GetColumnOrNull(predictedColumnName + "Height");
        var width = data.Schema.GetColumnOrNull(predictedColumnName + "Width");
        bool hasSize = height is { Type: var ht } && ht == Microsoft.ML.Data.NumberDataViewType.Int32
            && width is { Type: var wt } && wt == Microsoft.ML.Data.NumberDataViewType.Int32;

        var image = imageColumnName is null ? null : data.Schema.GetColumnOrNull(imageColumnName);
        if (image is { Type: not Microsoft.ML.Data.TextDataViewType }) image = null;
        var active = new List<DataViewSchema.Column> { label, predicted };
        if (hasSize) active.AddRange(new[] { height!.Value, width!.Value });
        if (image is { } imageColumn) active.Add(imageColumn);
        using var cursor = data.GetRowCursor(active);
        var getImage = image is { } ic ? cursor.GetGetter<ReadOnlyMemory<char>>(ic) : null;
        var readLabel = LabelMapColumn.Getter(cursor, label, colors, ignoreLabel, "label");
        var readPrediction = LabelMapColumn.Getter(cursor, predicted, colors, ignoreLabel, "prediction");
        var getHeight = hasSize ? cursor.GetGetter<int>(height!.Value) : null;
        var getWidth = hasSize ? cursor.GetGetter<int>(width!.Value) : null;
        long row = 0;
        while (cursor.MoveNext())
        {
            var (truth, truthSize, source) = readLabel(row);
            var (prediction, predictedSize, predictionSource) = readPrediction(row);
            if (getHeight is not null && getWidth is not null)
            {
                int h = 0, w = 0;
                getHeight(ref h);
                getWidth(ref w);
                predictedSize ??= (w, h);
            }
            if (truthSize is { } ts && predictedSize is { } ps && ts != ps)
                throw new InvalidDataException($"{source}: mask is {ts.Width}x{ts.Height} but the prediction ({predictionSource}) is {ps.Width}x{ps.Height}.");
            if (perImage is null) matrix.Add(truth, prediction, ignoreLabel, source);
            else
            {
                string? imagePath = null;
                if (getImage is not null)
                {
                    ReadOnlyMemory<char> text = default;
                    getImage(ref text);
                    imagePath = text.ToString();
                }
                AddImage(matrix, new ImageEvaluation(row, source, imagePath, truthSize ?? predictedSize, truth, prediction,
                    new SegmentationConfusionMatrix(numberOfClasses)), ignoreLabel, perImage);
            }
            row++;
            progress?.Report((int)row);
        }
        return matrix.ToMetrics(classNames);
    }

    /// <summary>Counts one image in its own matrix, adds that to the dataset's, and hands the image on.</summary>
    private static void AddImage(SegmentationConfusionMatrix dataset, ImageEvaluation image, int? ignoreLabel, Action<ImageEvaluation> perImage)
    {
        image.Matrix.Add(image.Truth, image.Prediction, ignoreLabel, image.Source);
        dataset.Add(image.Matrix);
        perImage(image);
    }

    /// <summary>
    /// Scores a folder of predicted index PNGs against a folder of masks, pairing files by stem. Every mask needs a
    /// prediction; extra prediction files (e.g. <c>*.color.png</c>) are ignored. Streams one pair at a time.
    /// </summary>
    public SemanticSegmentationMetrics EvaluateFolders(string masksFolder, string predictionsFolder, int numberOfClasses,
        int? ignoreLabel = 255, ColorClassTable? colors = null, IReadOnlyList<string>? classNames = null,
        IProgress<int>? progress = null) =>
        EvaluateFolderImages(masksFolder, predictionsFolder, numberOfClasses, ignoreLabel, colors, classNames, progress, null, null);

    /// <summary>
    /// <see cref="EvaluateFolders(string, string, int, int?, ColorClassTable?, IReadOnlyList{string}?, IProgress{int}?)"/>
    /// that also hands every image to <paramref name="perImage"/>; <paramref name="imageOfMask"/> names a mask's image file.
    /// </summary>
    internal SemanticSegmentationMetrics EvaluateFolderImages(string masksFolder, string predictionsFolder, int numberOfClasses,
        int? ignoreLabel, ColorClassTable? colors, IReadOnlyList<string>? classNames, IProgress<int>? progress,
        Func<FilePair, string?>? imageOfMask, Action<ImageEvaluation>? perImage)
    {
        var pairs = FilePairs.Pair(masksFolder, predictionsFolder, FilePairs.MaskExtensions, imageRole: "masks", maskRole: "prediction");
        var matrix = new SegmentationConfusionMatrix(numberOfClasses);
        int done = 0;
        foreach (var pair in pairs)
        {
            var truth = MaskReader.Read(pair.ImagePath, colors);
            var prediction = MaskReader.Read(pair.MaskPath);
            if (truth.Width != prediction.Width || truth.Height != prediction.Height)
                throw new InvalidDataException(
                    $"{pair.ImagePath}: mask is {truth.Width}x{truth.Height} but the prediction {pair.MaskPath} is {prediction.Width}x{prediction.Height}.");
            if (perImage is null) matrix.Add(truth.Labels, prediction.Labels, ignoreLabel, pair.ImagePath);
            else
                AddImage(matrix, new ImageEvaluation(done, pair.ImagePath, imageOfMask?.Invoke(pair), (truth.Width, truth.Height),
                    truth.Labels, prediction.Labels, new SegmentationConfusionMatrix(numberOfClasses)), ignoreLabel, perImage);
            done++; // not inside progress?.Report(…): with no progress the argument is never evaluated
            progress?.Report(done);
        }
        return matrix.ToMetrics(classNames);
    }
}

/// <summary>The trainers of <see cref="SemanticSegmentationCatalog"/>; trainer packages add extension methods here.</summary>
public sealed class SemanticSegmentationTrainers
{
    internal SemanticSegmentationTrainers(MLContext context) => Context = context;

    /// <summary>The context the trainers belong to.</summary>
    public MLContext Context { get; }
}

/// <summary>Adds <c>mlContext.SemanticSegmentation()</c>.</summary>
public static class SemanticSegmentationMLContextExtensions
{
    /// <summary>The semantic segmentation catalog: evaluation (and, with Fcn.MLNet.Training, trainers).</summary>
    public static SemanticSegmentationCatalog SemanticSegmentation(this MLContext context) =>
        new(context ?? throw new ArgumentNullException(nameof(context)));
}
