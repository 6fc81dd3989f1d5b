using Fcn.MLNet.Evaluation;

namespace Fcn.MLNet.Tests;

/// <summary>Metrics against confusion matrices worked out by hand.</summary>
public class MetricsTests
{
    // Three classes, 10 pixels, ignore label 255 on two more.
    //            truth: 0 0 0 0 1 1 1 2 2 2 255 255
    //        predicted: 0 0 1 2 1 1 0 2 2 1  0   1
    // n = [[2,1,1],[1,2,0],[0,1,2]]; t = (4,3,3); predicted counts = (3,4,3)
    private static readonly int[] Truth = { 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 255, 255 };
    private static readonly int[] Predicted = { 0, 0, 1, 2, 1, 1, 0, 2, 2, 1, 0, 1 };

    [Test]
    public void Four_metrics_match_the_hand_computed_confusion_matrix()
    {
        var m = new SegmentationConfusionMatrix(3);
        m.Add(Truth, Predicted, ignoreLabel: 255);
        Assert.That(m.ToArray(), Is.EqualTo(new[] { new long[] { 2, 1, 1 }, new long[] { 1, 2, 0 }, new long[] { 0, 1, 2 } }));
        Assert.That((m.Total, m.Ignored), Is.EqualTo((10L, 2L)));

        var r = m.ToMetrics();
        Assert.That(r.PixelAccuracy, Is.EqualTo(6.0 / 10).Within(1e-12));
        Assert.That(r.MeanAccuracy, Is.EqualTo((2.0 / 4 + 2.0 / 3 + 2.0 / 3) / 3).Within(1e-12));
        // IU_i = n_ii / (t_i + p_i − n_ii): 2/(4+3−2)=2/5, 2/(3+4−2)=2/5, 2/(3+3−2)=2/4
        Assert.That(r.PerClassIU, Is.EqualTo(new[] { 0.4, 0.4, 0.5 }).Within(1e-12));
        Assert.That(r.MeanIU, Is.EqualTo((0.4 + 0.4 + 0.5) / 3).Within(1e-12));
        Assert.That(r.FrequencyWeightedIU, Is.EqualTo((4 * 0.4 + 3 * 0.4 + 3 * 0.5) / 10).Within(1e-12));
    }

    [Test]
    public void Absent_classes_drop_out_as_in_the_reference_score_py()
    {
        // Four classes. Class 2 never occurs but is predicted once; class 3 neither occurs nor is predicted.
        //  truth:     0 0 1 1
        //  predicted: 0 2 1 1   → n = [[1,0,1,0],[0,2,0,0],[0,0,0,0],[0,0,0,0]]
        var m = new SegmentationConfusionMatrix(4);
        m.Add(new[] { 0, 0, 1, 1 }, new[] { 0, 2, 1, 1 }, ignoreLabel: null);
        var r = m.ToMetrics();
        Assert.That(r.PerClassAccuracy[0], Is.EqualTo(0.5));
        Assert.That(r.PerClassAccuracy[1], Is.EqualTo(1.0));
        Assert.That(double.IsNaN(r.PerClassAccuracy[2]) && double.IsNaN(r.PerClassAccuracy[3]), "no ground truth → NaN accuracy");
        Assert.That(r.MeanAccuracy, Is.EqualTo(0.75).Within(1e-12), "mean over classes 0 and 1 only");
        Assert.That(r.PerClassIU[2], Is.EqualTo(0.0), "absent but predicted: IU 0, counted in the mean");
        Assert.That(double.IsNaN(r.PerClassIU[3]), "neither present nor predicted: drops out");
        Assert.That(r.MeanIU, Is.EqualTo((0.5 + 1.0 + 0.0) / 3).Within(1e-12));
        Assert.That(r.FrequencyWeightedIU, Is.EqualTo((2 * 0.5 + 2 * 1.0) / 4).Within(1e-12));
        Assert.That(r.PixelAccuracy, Is.EqualTo(0.75).Within(1e-12));
    }

    [Test]
    public void Json_uses_null_for_classes_that_drop_out()
    {
        var m = new SegmentationConfusionMatrix(3);
        m.Add(new[] { 0, 1 }, new[] { 0, 1 });
        var json = System.Text.Json.JsonDocument.Parse(m.ToMetrics().ToJson()).RootElement;
        Assert.That(json.GetProperty("meanIU").GetDouble(), Is.EqualTo(1.0));
        Assert.That(json.GetProperty("perClassIU")[2].ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
        Assert.That(json.GetProperty("confusionMatrix")[1][1].GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public void Matrices_from_separate_images_add_up_to_one_dataset_matrix()
    {
        var whole = new SegmentationConfusionMatrix(3);
        whole.Add(Truth, Predicted);
        var a = new SegmentationConfusionMatrix(3);
        var b = new SegmentationConfusionMatrix(3);
        a.Add(Truth.AsSpan(0, 5), Predicted.AsSpan(0, 5));
        b.Add(Truth.AsSpan(5), Predicted.AsSpan(5));
        a.Add(b);
        Assert.That(a.ToArray(), Is.EqualTo(whole.ToArray()));
        Assert.That(a.ToMetrics().MeanIU, Is.EqualTo(whole.ToMetrics().MeanIU));
    }

    [Test]
    public void Label_outside_the_classes_that_is_not_the_ignore_label_names_the_source()
    {
        var m = new SegmentationConfusionMatrix(3);
        var e = Assert.Throws<InvalidDataException>(() => m.Add(new[] { 0, 7 }, new[] { 0, 1 }, 255, "masks/a.png"));
        Assert.That(e!.Message, Does.Contain("masks/a.png").And.Contain("label 7"));
        Assert.Throws<ArgumentException>(() => m.Add(new[] { 0 }, new[] { 0, 1 }, 255, "masks/a.png"));
    }
}
