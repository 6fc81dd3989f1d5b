using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Tests.Training.Support;
using Google.Protobuf;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Whole-network gradients of a small FCN with a skip, crops and two ConvTransposes.</summary>
public class EndToEndGradientTests
{
    [Test]
    public void Skip_FCN_with_crops_and_ConvTranspose_matches_finite_differences_for_every_parameter()
    {
        var (g, scores, reference) = TinyFcns.SkipFcn(seed: 71);
        var result = g.Check(scores, reference, maxPerTensor: 24);
        Assert.That(result.Relative.Keys, Has.Count.EqualTo(10));
    }

    [Test]
    public void Trainer_gradients_through_pinned_buffers_match_finite_differences()
    {
        var (g, scores, reference) = TinyFcns.SkipFcn(seed: 72);
        var model = g.Model(scores);
        using var trainer = new OnnxFcnTrainer(model.ToByteArray(), new TrainerOptions { IgnoreLabel = 255 });
        var rng = new Random(5);
        var labels = Enumerable.Range(0, 14 * 14).Select(_ => rng.Next(6) == 0 ? 255 : rng.Next(3)).ToArray();
        var batch = new TrainingBatch(1, 14, 14, g.ImageValues.Data.Select(v => (float)v).ToArray(), labels);
        double loss = trainer.ComputeLossAndGradients(batch);

        var clean = new long[labels.Length];
        var weights = new float[labels.Length];
        PixelWeights.Fill(labels, 3, 255, null, 1, rng, clean, weights);
        Assert.That(loss, Is.EqualTo(ReferenceOps.SoftmaxCrossEntropy(reference(), clean, weights)).Within(1e-5));
        foreach (var p in trainer.Parameters)
        {
            var t = g[p.Name];
            double scale = 0, err = 0;
            for (int i = 0; i < t.Count; i += Math.Max(1, t.Count / 12))
            {
                double v = t.Data[i];
                t.Data[i] = v + 1e-5;
                double lp = ReferenceOps.SoftmaxCrossEntropy(reference(), clean, weights);
                t.Data[i] = v - 1e-5;
                double lm = ReferenceOps.SoftmaxCrossEntropy(reference(), clean, weights);
                t.Data[i] = v;
                double fd = (lp - lm) / 2e-5;
                scale = Math.Max(scale, Math.Abs(fd));
                err = Math.Max(err, Math.Abs(fd - p.Gradient[i]));
            }
            Assert.That(err, Is.LessThan(1e-3 * scale), $"{p.Name}: max error {err:G3}, largest gradient {scale:G3}");
        }
    }
}
