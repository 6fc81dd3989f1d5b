using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests.Datasets;

/// <summary>
/// <c>mlContext.SemanticSegmentation().LoadDataset(...)</c>: the rows carry the dataset's label mapping through the
/// pipeline, so the evaluator and the trainer read classes, not stored ids; <c>EvaluatePredictions</c> scores maps from
/// any system against a split.
/// </summary>
public class DatasetCatalogTests
{
    private string _dir = "";
    private MiniDataset _cityscapes = null!;

    [OneTimeSetUp]
    public void Write()
    {
        _dir = TestPaths.NewTempFolder();
        _cityscapes = MiniDataset.Cityscapes(_dir);
    }

    private static int TrainId(int labelId) => labelId switch
    {
        7 => 0, 8 => 1, 11 => 2, 12 => 3, 13 => 4, 17 => 5, 19 => 6, 20 => 7, 21 => 8, 22 => 9, 23 => 10, 24 => 11, 25 => 12, 26 => 13, 27 => 14,
        28 => 15, 31 => 16, 32 => 17, 33 => 18, _ => 255,
    };

    [Test]
    public void LoadDataset_rows_keep_the_label_mapping_through_LoadImages_and_SegmentFcn()
    {
        var ml = new MLContext(seed: 1);
        var val = ml.SemanticSegmentation().LoadDataset(SegmentationDatasetKind.Cityscapes, _cityscapes.Root, "val");
        Assert.That(val.Schema.Select(c => c.Name), Is.EqualTo(new[] { "ImagePath", "Label", "Name" }));
        Assert.That(val.GetColumn<string>("Name"), Is.EqualTo(new[] { "frankfurt_000000_000294", "frankfurt_000001_000538" }));

        var fcn = TestFcn.Create(classes: 19, seed: 5);
        var scored = ml.Transforms.LoadImages("Image", "", "ImagePath").Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }))
            .Fit(val).Transform(val);
        var label = scored.Schema["Label"];
        Assert.That(LabelMapColumn.MappingOf(label)?.Table, Is.EqualTo(SegmentationDatasetLayout.For(SegmentationDatasetKind.Cityscapes).LabelMapping.Table),
            "the annotation passes LoadImages and SegmentFcn");

        using var cursor = scored.GetRowCursor(new[] { label });
        var read = LabelMapColumn.Getter(cursor, label, colors: null, ignoreLabel: null, "label");
        int row = 0;
        while (cursor.MoveNext())
        {
            var (labels, size, _) = read(row);
            var raw = _cityscapes.Raw[_cityscapes.Splits["val"][row++]];
            Assert.That(size, Is.EqualTo(((int, int)?)(raw.Width, raw.Height)));
            Assert.That(labels, Is.EqualTo(raw.Values.Select(TrainId)), "mapped pixel by pixel");
        }
        Assert.That(row, Is.EqualTo(2));
    }

    [Test]
    public void EvaluatePredictions_scores_the_mapped_masks_pixel_by_pixel_with_the_datasets_classes()
    {
        var ml = new MLContext();
        string predictions = Path.Combine(_dir, "perfect");
        Directory.CreateDirectory(predictions);
        long labelled = 0, ignored = 0;
        var expected = new SegmentationConfusionMatrix(19);
        foreach (var stem in _cityscapes.Splits["val"])
        {
            var (w, h, values) = _cityscapes.Raw[stem];
            var truth = values.Select(TrainId).ToArray();
            // The truth itself where labelled (ignored pixels predicted as class 3): any mapping error shows off the diagonal.
            var map = truth.Select(t => t == 255 ? 3 : t).ToArray();
            if (stem.EndsWith("294", StringComparison.Ordinal)) MaskWriter.WriteIndexPng(Path.Combine(predictions, stem + ".png"), new LabelMap(w, h, map));
            else using (var f = File.Create(Path.Combine(predictions, stem + ".png"))) PngEncoder.WriteGray16(f, w, h, map.Select(v => (ushort)v).ToArray());
            labelled += truth.Count(t => t != 255);
            ignored += truth.Count(t => t == 255);
            expected.Add(truth, map, 255);
        }
        File.WriteAllBytes(Path.Combine(predictions, "frankfurt_000000_000294.color.png"), new byte[] { 1 }); // other files are passed over

        var options = new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.Cityscapes, Root = _cityscapes.Root, Split = "val" };
        var metrics = ml.SemanticSegmentation().EvaluatePredictions(options, predictions);
        Assert.That(metrics.ConfusionMatrix.Total, Is.EqualTo(labelled));
        Assert.That(metrics.ConfusionMatrix.Ignored, Is.EqualTo(ignored));
        Assert.That(metrics.PixelAccuracy, Is.EqualTo(1.0), "every labelled pixel on the diagonal");
        Assert.That(metrics.ToJson(), Is.EqualTo(expected.ToMetrics(options.Layout.ClassNames).ToJson()));
        Assert.That(metrics.ClassNames, Is.EqualTo(options.Layout.ClassNames));

        var report = new SegmentationReportOptions { Folder = Path.Combine(_dir, "perfect-report"), GalleryImages = 1 };
        var reported = ml.SemanticSegmentation().EvaluatePredictionsWithReport(options, predictions, report);
        Assert.That(reported.ToJson(), Is.EqualTo(metrics.ToJson()), "the report's evaluation is EvaluatePredictions'");
        string html = File.ReadAllText(Path.Combine(report.Folder, SegmentationReport.HtmlFileName));
        Assert.That(System.Text.RegularExpressions.Regex.Matches(html, "<img class=\"image\"").Count, Is.EqualTo(2), "the split's images in the gallery");
    }

    [Test]
    public void EvaluatePredictions_names_a_missing_prediction_and_both_files_of_a_size_mismatch()
    {
        var ml = new MLContext();
        var options = new SegmentationDatasetOptions { Kind = SegmentationDatasetKind.Cityscapes, Root = _cityscapes.Root, Split = "val" };
        string predictions = Path.Combine(_dir, "partial");
        Directory.CreateDirectory(predictions);
        MaskWriter.WriteIndexPng(Path.Combine(predictions, "frankfurt_000000_000294.png"), new LabelMap(8, 6));
        string missing = Path.Combine(predictions, "frankfurt_000001_000538.png");
        Assert.That(() => ml.SemanticSegmentation().EvaluatePredictions(options, predictions),
            Throws.InstanceOf<FileNotFoundException>().With.Message.Contains("expected " + missing).And.Message.Contains("frankfurt_000001_000538_leftImg8bit.png"));

        MaskWriter.WriteIndexPng(missing, new LabelMap(3, 3));
        var (w, h, _) = _cityscapes.Raw["frankfurt_000001_000538"];
        Assert.That(() => ml.SemanticSegmentation().EvaluatePredictions(options, predictions),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("frankfurt_000001_000538_gtFine_labelIds.png: mask is " + $"{w}x{h}")
                .And.Message.Contains(missing).And.Message.Contains("is 3x3"));
    }

    [Test]
    public void The_trainer_reads_mapped_labels_from_LoadDataset_and_refuses_the_stored_ids_without_the_mapping()
    {
        var ml = new MLContext(seed: 1);
        string model = TestFcn.Create(classes: 19, seed: 3, weightScale: 0f).Save(_dir, "base19.onnx");
        FcnTrainerOptions Options(IDataView? validation) => new()
        {
            BaseModelPath = model, NumberOfClasses = 19, IgnoreLabel = 255, Iterations = 1, Preprocessing = new ImagePreprocessing { Scale = 1 / 255f },
            ClassNames = SegmentationDatasetLayout.For(SegmentationDatasetKind.Cityscapes).ClassNames, ValidationData = validation,
        };
        var loadImages = ml.Transforms.LoadImages("Image", "", "ImagePath");
        var train = ml.SemanticSegmentation().LoadDataset(SegmentationDatasetKind.Cityscapes, _cityscapes.Root, "train");
        var val = ml.SemanticSegmentation().LoadDataset(SegmentationDatasetKind.Cityscapes, _cityscapes.Root, "val");
        var trainer = ml.SemanticSegmentation().Trainers.Fcn(Options(loadImages.Fit(val).Transform(val)));
        ITransformer fitted = null!;
        Assert.That(() => fitted = loadImages.Append(trainer).Fit(train), Throws.Nothing);
        Assert.That(trainer.History!.Validation, Has.Count.EqualTo(1), "validated on the mapped val split");
        string zip = Path.Combine(_dir, "cityscapes.zip");
        ml.Model.Save(fitted, train.Schema, zip);   // the annotated input schema saves and loads with the model
        var loaded = new MLContext().Model.Load(zip, out var inputSchema);
        Assert.That(inputSchema.Select(c => c.Name), Is.EqualTo(new[] { "ImagePath", "Label", "Name" }));
        ModelLifetime.Release(loaded);
        ModelLifetime.Release(fitted);

        // The same files without the mapping: the stored labelIds (up to 40) are not classes of a 19-class model.
        var pairs = SegmentationDatasetLayout.For(SegmentationDatasetKind.Cityscapes).ListFiles(_cityscapes.Root, "train");
        var unmapped = ml.SemanticSegmentation().LoadFiles(pairs);
        Assert.That(() => loadImages.Append(ml.SemanticSegmentation().Trainers.Fcn(Options(null))).Fit(unmapped),
            Throws.InstanceOf<InvalidDataException>().With.Message.Contains("but there are 19 classes"));
    }
}
