using Fcn.MLNet.Data;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Datasets;

/// <summary>
/// Adds the standard datasets to <c>mlContext.SemanticSegmentation()</c>: <c>LoadDataset</c> (rows of a split, ready for
/// <c>LoadImages → Trainers.Fcn</c> or <c>SegmentFcn → Evaluate</c>), <c>LoadFiles</c> (rows of any image/mask pairs)
/// and <c>EvaluatePredictions</c> (scores class-map PNGs from any system against a split).
/// </summary>
public static class SegmentationDatasetCatalog
{
    /// <summary>
    /// The image/mask rows of one split of a standard dataset, read as the dataset distributes it.
    /// </summary>
    /// <example><code>
    /// var val = ml.SemanticSegmentation().LoadDataset(SegmentationDatasetKind.Cityscapes, "/data/cityscapes", "val");
    /// var layout = SegmentationDatasetLayout.For(SegmentationDatasetKind.Cityscapes);   // 19 classes, 255 ignored
    /// </code></example>
    /// <param name="catalog">The semantic segmentation catalog.</param>
    /// <param name="kind">The dataset's layout.</param>
    /// <param name="root">The dataset folder (see <see cref="SegmentationDatasetOptions.Root"/>).</param>
    /// <param name="split">The split (see <see cref="SegmentationDatasetOptions.Split"/>).</param>
    public static IDataView LoadDataset(this SemanticSegmentationCatalog catalog, SegmentationDatasetKind kind, string root, string split) =>
        catalog.LoadDataset(new SegmentationDatasetOptions { Kind = kind, Root = root, Split = split });

    /// <summary>
    /// The rows of one split of a standard dataset: <c>ImagePath</c> (text), <c>Label</c> (mask path, annotated with the
    /// dataset's <see cref="LabelMapping"/> so the trainer and the evaluator read classes, not the stored ids) and
    /// <c>Name</c> (the stem), in the dataset's order. The files are listed and checked now (a missing folder, split,
    /// image or mask is an error naming the path); images and masks are read when the rows are.
    /// </summary>
    /// <example><code>
    /// var options = new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.CamVid, Root = "/data/CamVid", Split = "train" };
    /// var train = ml.SemanticSegmentation().LoadDataset(options);
    /// var trainer = ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
    /// {
    ///     NumberOfClasses = options.Layout.NumberOfClasses, IgnoreLabel = options.Layout.IgnoreLabel, ClassNames = options.Layout.ClassNames,
    /// });
    /// var model = ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(train);
    /// </code></example>
    /// <param name="catalog">The semantic segmentation catalog.</param>
    /// <param name="options">Dataset, root, split, filter and column names.</param>
    public static IDataView LoadDataset(this SemanticSegmentationCatalog catalog, SegmentationDatasetOptions options)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        var files = options.ListFiles();
        return catalog.LoadFiles(files, options.Layout.LabelMapping, options.ImagePathColumnName, options.LabelColumnName, options.NameColumnName);
    }

    /// <summary>
    /// Rows of image (or prediction) paths, mask paths and stems for <paramref name="files"/>; the mask column carries
    /// <paramref name="labelMapping"/> as its <see cref="LabelMapping.AnnotationKind"/> annotation when one is given.
    /// </summary>
    /// <param name="catalog">The semantic segmentation catalog.</param>
    /// <param name="files">The pairs, e.g. a layout's <see cref="SegmentationDatasetLayout.ListFiles"/> or <see cref="FilePairs.Pair"/>.</param>
    /// <param name="labelMapping">From the stored mask values to classes; null when they are the classes.</param>
    /// <param name="imagePathColumnName">Column of <see cref="FilePair.ImagePath"/>.</param>
    /// <param name="labelColumnName">Column of <see cref="FilePair.MaskPath"/>.</param>
    /// <param name="nameColumnName">Column of <see cref="FilePair.Stem"/>.</param>
    public static IDataView LoadFiles(this SemanticSegmentationCatalog catalog, IEnumerable<FilePair> files, LabelMapping? labelMapping = null,
        string imagePathColumnName = "ImagePath", string labelColumnName = "Label", string nameColumnName = "Name")
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(files);
        var schema = SchemaDefinition.Create(typeof(DatasetRow));
        schema[nameof(DatasetRow.ImagePath)].ColumnName = imagePathColumnName;
        schema[nameof(DatasetRow.Label)].ColumnName = labelColumnName;
        schema[nameof(DatasetRow.Name)].ColumnName = nameColumnName;
        if (labelMapping is not null)
        {
            var table = new VBuffer<int>(LabelMapping.Size, labelMapping.Table.ToArray());
            schema[nameof(DatasetRow.Label)].AddAnnotation(LabelMapping.AnnotationKind, table, new VectorDataViewType(NumberDataViewType.Int32, LabelMapping.Size));
        }
        var rows = files.Select(f => new DatasetRow { ImagePath = Path.GetFullPath(f.ImagePath), Label = Path.GetFullPath(f.MaskPath), Name = f.Stem }).ToList();
        return catalog.Context.Data.LoadFromEnumerable(rows, schema);
    }

    /// <summary>
    /// Scores predicted class maps — 8- or 16-bit single-channel PNGs whose values are classes, named
    /// <c>&lt;stem&gt;.png</c> as <c>fcn predict</c> writes them — against a split of a standard dataset, with the
    /// dataset's classes, ignore label and label mapping, and returns the FCN paper's metrics (the same evaluator as
    /// <see cref="SemanticSegmentationCatalog.Evaluate"/>). No model is needed: the maps may come from any system.
    /// </summary>
    /// <param name="catalog">The semantic segmentation catalog.</param>
    /// <param name="dataset">The split to score against.</param>
    /// <param name="predictionsFolder">Folder of <c>&lt;stem&gt;.png</c> class maps (other files are ignored).</param>
    /// <param name="progress">Reports the number of images scored.</param>
    /// <exception cref="FileNotFoundException">An image of the split has no prediction (names the expected file).</exception>
    /// <exception cref="InvalidDataException">A prediction's size differs from its mask's (names both), or a class is out of range.</exception>
    public static SemanticSegmentationMetrics EvaluatePredictions(this SemanticSegmentationCatalog catalog, SegmentationDatasetOptions dataset,
        string predictionsFolder, IProgress<int>? progress = null) => EvaluatePredictionImages(catalog, dataset, predictionsFolder, progress, null);

    /// <summary><see cref="EvaluatePredictions(SemanticSegmentationCatalog, SegmentationDatasetOptions, string, IProgress{int}?)"/>
    /// that also hands every image (with the split's image file) to <paramref name="perImage"/>.</summary>
    internal static SemanticSegmentationMetrics EvaluatePredictionImages(SemanticSegmentationCatalog catalog, SegmentationDatasetOptions dataset,
        string predictionsFolder, IProgress<int>? progress, Action<ImageEvaluation>? perImage)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(predictionsFolder);
        var files = dataset.ListFiles();
        if (!Directory.Exists(predictionsFolder)) throw new DirectoryNotFoundException($"predictions folder not found: {predictionsFolder}");
        var scored = new List<FilePair>(files.Count);
        foreach (var f in files)
        {
            string prediction = Path.Combine(predictionsFolder, f.Stem + ".png");
            if (!File.Exists(prediction)) throw new FileNotFoundException($"No prediction for {f.ImagePath}: expected {Path.GetFullPath(prediction)}", prediction);
            scored.Add(f with { ImagePath = prediction });
        }
        var layout = dataset.Layout;
        var data = catalog.LoadFiles(scored, layout.LabelMapping, imagePathColumnName: "Prediction");
        return catalog.EvaluateImages(data, layout.NumberOfClasses, "Label", "Prediction", layout.IgnoreLabel, null, layout.ClassNames, progress, null,
            perImage is null ? null : image => perImage(image with { ImagePath = files[(int)image.Row].ImagePath }));
    }

    private sealed class DatasetRow
    {
        public string ImagePath { get; set; } = "";

        public string Label { get; set; } = "";

        public string Name { get; set; } = "";
    }
}
