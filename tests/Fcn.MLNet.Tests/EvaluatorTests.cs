using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

/// <summary>mlContext.SemanticSegmentation().Evaluate over IDataViews and folders.</summary>
public class EvaluatorTests
{
    public sealed class MaskAndPrediction
    {
        public string Label { get; set; } = "";
        public int[] Segmentation { get; set; } = Array.Empty<int>();
        public int SegmentationHeight { get; set; }
        public int SegmentationWidth { get; set; }
    }

    private static string WriteMask(string dir, string name, int w, int h, int[] labels)
    {
        string path = Path.Combine(dir, name);
        MaskWriter.WriteIndexPng(path, new LabelMap(w, h, labels));
        return path;
    }

    [Test]
    public void Mask_paths_against_predicted_vectors_accumulate_one_matrix()
    {
        string dir = TestPaths.NewTempFolder();
        var ml = new MLContext();
        // Image 1 (2x2): truth 0 1 / 1 255, predicted 0 1 / 0 2. Image 2 (3x1): truth 2 2 0, predicted 2 1 0.
        var rows = new[]
        {
            new MaskAndPrediction { Label = WriteMask(dir, "a.png", 2, 2, new[] { 0, 1, 1, 255 }), Segmentation = new[] { 0, 1, 0, 2 }, SegmentationHeight = 2, SegmentationWidth = 2 },
            new MaskAndPrediction { Label = WriteMask(dir, "b.png", 3, 1, new[] { 2, 2, 0 }), Segmentation = new[] { 2, 1, 0 }, SegmentationHeight = 1, SegmentationWidth = 3 },
        };
        var metrics = ml.SemanticSegmentation().Evaluate(ml.Data.LoadFromEnumerable(rows), numberOfClasses: 3);
        // n = [[2,0,0],[1,1,0],[0,1,1]]
        Assert.That(metrics.ConfusionMatrix.ToArray(), Is.EqualTo(new[] { new long[] { 2, 0, 0 }, new long[] { 1, 1, 0 }, new long[] { 0, 1, 1 } }));
        Assert.That(metrics.ConfusionMatrix.Ignored, Is.EqualTo(1));
        Assert.That(metrics.PixelAccuracy, Is.EqualTo(4.0 / 6).Within(1e-12));
        // IU: 2/(2+3−2)=2/3, 1/(2+2−1)=1/3, 1/(2+1−1)=1/2
        Assert.That(metrics.MeanIU, Is.EqualTo((2.0 / 3 + 1.0 / 3 + 0.5) / 3).Within(1e-12));
    }

    [Test]
    public void Mask_whose_size_differs_from_its_prediction_is_an_error_naming_the_file()
    {
        string dir = TestPaths.NewTempFolder();
        var ml = new MLContext();
        // Same pixel count (4), different shape: 2x2 mask vs 4x1 prediction.
        var rows = new[] { new MaskAndPrediction { Label = WriteMask(dir, "odd.png", 2, 2, new[] { 0, 1, 1, 0 }), Segmentation = new[] { 0, 1, 1, 0 }, SegmentationHeight = 1, SegmentationWidth = 4 } };
        var e = Assert.Throws<InvalidDataException>(() => ml.SemanticSegmentation().Evaluate(ml.Data.LoadFromEnumerable(rows), 2));
        Assert.That(e!.Message, Does.Contain("odd.png").And.Contain("2x2").And.Contain("4x1"));
    }

    [Test]
    public void Label_at_or_above_the_class_count_is_an_error_naming_the_file()
    {
        string dir = TestPaths.NewTempFolder();
        var ml = new MLContext();
        var rows = new[] { new MaskAndPrediction { Label = WriteMask(dir, "bad.png", 2, 1, new[] { 0, 5 }), Segmentation = new[] { 0, 1 }, SegmentationHeight = 1, SegmentationWidth = 2 } };
        var e = Assert.Throws<InvalidDataException>(() => ml.SemanticSegmentation().Evaluate(ml.Data.LoadFromEnumerable(rows), 3));
        Assert.That(e!.Message, Does.Contain("bad.png").And.Contain("label 5"));
    }

    [Test]
    public void Folders_pair_by_stem_and_ignore_colorized_extras()
    {
        string masks = TestPaths.NewTempFolder(), preds = TestPaths.NewTempFolder();
        WriteMask(masks, "x.png", 2, 1, new[] { 0, 1 });
        WriteMask(masks, "y.png", 1, 1, new[] { 1 });
        WriteMask(preds, "x.png", 2, 1, new[] { 0, 0 });
        WriteMask(preds, "y.png", 1, 1, new[] { 1 });
        MaskWriter.WriteColorPng(Path.Combine(preds, "x.color.png"), new LabelMap(2, 1, new[] { 1, 1 }), ColorPalette.PascalVoc());
        var progress = new List<int>();
        var metrics = new MLContext().SemanticSegmentation().EvaluateFolders(masks, preds, 2, progress: new SynchronousProgress<int>(progress.Add));
        Assert.That(metrics.ConfusionMatrix.ToArray(), Is.EqualTo(new[] { new long[] { 1, 0 }, new long[] { 1, 1 } }));
        Assert.That(progress, Is.EqualTo(new[] { 1, 2 }));

        File.Delete(Path.Combine(preds, "y.png"));
        var e = Assert.Throws<FileNotFoundException>(() => new MLContext().SemanticSegmentation().EvaluateFolders(masks, preds, 2));
        Assert.That(e!.Message, Does.Contain("No prediction for").And.Contain("y.png"));
    }

    [Test]
    public void SegmentFcn_output_evaluates_against_palette_masks_end_to_end()
    {
        string dir = TestPaths.NewTempFolder();
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 3, seed: 4);
        var image = TestImage.Random(6, 5, 2);
        var data = TestImage.ToDataView(ml, new[] { image });
        var scored = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }).Fit(data).Transform(data);
        var predicted = scored.GetColumn<int[]>("Segmentation").Single();
        // Ground truth = the prediction with two pixels changed, saved as a VOC-style palette PNG.
        var truth = (int[])predicted.Clone();
        truth[0] = (truth[0] + 1) % 3;
        truth[1] = 255;
        string mask = Path.Combine(dir, "m.png");
        MaskWriter.WriteColorPng(mask, new LabelMap(6, 5, truth), ColorPalette.PascalVoc());
        var withLabel = ml.Data.LoadFromEnumerable(new[] { new MaskAndPrediction { Label = mask, Segmentation = predicted, SegmentationHeight = 5, SegmentationWidth = 6 } });
        var metrics = ml.SemanticSegmentation().Evaluate(withLabel, 3);
        Assert.That(metrics.ConfusionMatrix.Total, Is.EqualTo(29));
        Assert.That(metrics.PixelAccuracy, Is.EqualTo(28.0 / 29).Within(1e-12));
    }
}
