using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Tests.Training.Support;
using Google.Protobuf;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training;

/// <summary>The softmax cross-entropy: ignore label, class weights, sampling, the all-ignored guard.</summary>
public class LossTests
{
    [Test]
    public void Ignored_pixels_get_label_0_and_weight_0_and_the_rest_share_the_mean()
    {
        var clean = new long[4];
        var weights = new float[4];
        int counted = PixelWeights.Fill(new[] { 0, 255, 1, 2 }, 3, 255, null, 1, new Random(0), clean, weights);
        Assert.That(counted, Is.EqualTo(3));
        Assert.That(clean, Is.EqualTo(new long[] { 0, 0, 1, 2 }));
        Assert.That(weights, Is.EqualTo(new[] { 1f / 3, 0f, 1f / 3, 1f / 3 }).Within(1e-7));
    }

    [Test]
    public void Class_weights_give_the_PyTorch_weighted_mean()
    {
        // CrossEntropyLoss(weight=c, reduction="mean") divides by Σ c[y]: here 2 + 0.5 + 0.5 = 3.
        var clean = new long[3];
        var weights = new float[3];
        PixelWeights.Fill(new[] { 0, 1, 1 }, 2, 255, new[] { 2f, 0.5f }, 1, new Random(0), clean, weights);
        Assert.That(weights, Is.EqualTo(new[] { 2f / 3, 0.5f / 3, 0.5f / 3 }).Within(1e-7));
    }

    [Test]
    public void Loss_sampling_keeps_about_the_requested_fraction_and_still_averages()
    {
        var labels = Enumerable.Repeat(1, 20000).ToArray();
        var clean = new long[labels.Length];
        var weights = new float[labels.Length];
        int counted = PixelWeights.Fill(labels, 2, 255, null, 0.25, new Random(3), clean, weights);
        Assert.That(counted, Is.InRange(4700, 5300));
        Assert.That(weights.Sum(), Is.EqualTo(1f).Within(1e-4));
        Assert.That(weights.Count(w => w > 0), Is.EqualTo(counted));
    }

    [Test]
    public void A_label_outside_the_classes_is_an_error_that_names_it()
    {
        var ex = Assert.Throws<InvalidDataException>(() =>
            PixelWeights.Fill(new[] { 0, 7 }, 3, 255, null, 1, new Random(0), new long[2], new float[2]));
        Assert.That(ex!.Message, Does.Contain("label 7").And.Contain("[0, 3)"));
    }

    [Test]
    public void Uniform_scores_give_log_C()
    {
        var model = TinyFcns.Small(classes: 5, seed: 1);
        // Zero the score weights: every pixel's scores are the (zero) bias, so the loss is ln 5 whatever the labels.
        var zeroed = model.Clone();
        var w = zeroed.Graph.Initializer.First(t => t.Name == "score.weight");
        w.RawData = ByteString.CopyFrom(new byte[w.RawData.Length]);
        using var uniform = new OnnxFcnTrainer(zeroed.ToByteArray(), new TrainerOptions { IsFrozen = n => n != "score.bias" });
        var batch = new TrainingBatch(1, 4, 4, new float[48], Enumerable.Range(0, 16).Select(i => i % 5).ToArray());
        Assert.That(uniform.ComputeLossAndGradients(batch), Is.EqualTo(Math.Log(5)).Within(1e-5));
    }

    [Test]
    public void All_pixels_ignored_give_zero_loss_and_zero_gradient_never_NaN()
    {
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 2).ToByteArray(), new TrainerOptions { IgnoreLabel = 255 });
        var batch = new TrainingBatch(2, 5, 6, Enumerable.Range(0, 180).Select(i => (float)Math.Sin(i)).ToArray(), Enumerable.Repeat(255, 60).ToArray());
        double loss = trainer.Step(batch);
        Assert.That(loss, Is.EqualTo(0));
        foreach (var p in trainer.Parameters)
        {
            Assert.That(p.Gradient, Is.All.EqualTo(0f), p.Name);
            Assert.That(p.Values.All(float.IsFinite), p.Name);
        }
    }

    [Test]
    public void Class_weighted_loss_and_gradient_match_finite_differences()
    {
        var g = new GradientCheck(81, 1, 3, 4, 4) { ClassWeights = new[] { 0.2f, 3f, 1f } };
        string x = g.Param("x", new[] { 1, 3, 5, 4 }, 2);
        string y = g.B.Node("Identity", new[] { x });
        g.Check(y, () => g[x]);
    }

    [Test]
    public void Coarse_scores_are_upsampled_bilinearly_to_the_labels()
    {
        var g = new GradientCheck(82, 1, 3, 8, 6);
        string x = g.Param("x", new[] { 1, 3, 3, 2 });
        string y = g.B.Node("Relu", new[] { x });
        g.Check(y, () => R.Resize(g[x].Map(v => Math.Max(v, 0)), 8, 6, null, null, "linear", "half_pixel", ""), upsample: true);
    }
}
