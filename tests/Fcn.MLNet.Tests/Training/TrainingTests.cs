using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Optimization;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Tests.Training.Support;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests.Training;

/// <summary>The trainer end to end: loss goes down, the model comes back, sessions are cached per shape.</summary>
public class TrainingTests
{
    /// <summary>
    /// Seeded synthetic scenes: a background of noise with one rectangle, class 1 when the rectangle is reddish and
    /// class 2 when greenish. Images are normalised to about [−1, 1].
    /// </summary>
    internal static SegmentationDataset Rectangles(int count, int height, int width, int seed)
    {
        var rng = new Random(seed);
        var samples = new List<SegmentationSample>();
        for (int i = 0; i < count; i++)
        {
            var image = new float[3 * height * width];
            var labels = new int[height * width];
            for (int k = 0; k < image.Length; k++) image[k] = (float)(rng.NextDouble() * 0.4 - 0.2);
            int cls = 1 + rng.Next(2);
            int y0 = rng.Next(height / 2), x0 = rng.Next(width / 2), y1 = y0 + 2 + rng.Next(height / 2), x1 = x0 + 2 + rng.Next(width / 2);
            for (int y = y0; y < Math.Min(y1, height); y++)
            for (int x = x0; x < Math.Min(x1, width); x++)
            {
                labels[y * width + x] = cls;
                image[(cls - 1) * height * width + y * width + x] += 0.8f; // channel 0 (red) or 1 (green)
            }
            samples.Add(new SegmentationSample(image, new Fcn.MLNet.Imaging.LabelMap(width, height, labels)));
        }
        return SegmentationDataset.FromSamples(samples);
    }

    [Test]
    public void A_tiny_FCN_loss_decreases_on_a_seeded_synthetic_dataset()
    {
        var data = Rectangles(16, 12, 12, seed: 5);
        var batches = new BatchSampler(data, new BatchSamplerOptions { BatchSize = 4, Mirror = true, Seed = 2 }).Batches();
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 3).ToByteArray(),
            new TrainerOptions { LearningRate = 0.1, Momentum = 0.9, WeightDecay = 1e-4, Seed = 4 });
        var losses = new List<double>();
        trainer.Train(batches, 60, new SynchronousProgress<TrainingProgress>(p => losses.Add(p.Loss)));
        double first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        TestContext.Out.WriteLine($"loss {first:F4} → {last:F4}");
        Assert.That(losses, Has.Count.EqualTo(60));
        Assert.That(last, Is.LessThan(0.5 * first), $"loss went from {first:F4} to {last:F4}");
        Assert.That(trainer.Iteration, Is.EqualTo(60));
        Assert.That(trainer.SessionsBuilt, Is.EqualTo(1));
    }

    [Test]
    public void The_exported_model_keeps_the_graph_carries_the_trained_weights_and_loads_in_SegmentFcn()
    {
        var forward = TinyFcns.Small(4, seed: 6);
        using var trainer = new OnnxFcnTrainer(forward.ToByteArray(), new TrainerOptions { LearningRate = 0.05, IsFrozen = n => n == "conv1.bias" });
        var batches = new BatchSampler(Rectangles(4, 10, 9, seed: 7)).Batches();
        trainer.Train(batches, 3);

        var exported = OnnxModelFile.Parse(trainer.ExportModel());
        Assert.That(exported.Graph.Node.ToString(), Is.EqualTo(forward.Graph.Node.ToString()), "same forward nodes");
        Assert.That(exported.Graph.Input.ToString(), Is.EqualTo(forward.Graph.Input.ToString()));
        foreach (var t in exported.Graph.Initializer)
        {
            var original = OnnxTensor.ReadFloats(forward.Graph.Initializer.First(o => o.Name == t.Name));
            var now = OnnxTensor.ReadFloats(t);
            if (t.Name == "conv1.bias") Assert.That(now, Is.EqualTo(original), "frozen parameter unchanged");
            else
            {
                Assert.That(now, Is.EqualTo(trainer.Parameters.Single(p => p.Name == t.Name).Values), t.Name);
                Assert.That(now, Is.Not.EqualTo(original), $"{t.Name} was trained");
            }
        }

        var ml = new MLContext(seed: 0);
        var images = TestImage.ToDataView(ml, new[] { TestImage.Random(11, 7, seed: 1) });
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = trainer.ExportModel() }).Fit(images);
        var map = model.Transform(images).GetColumn<int[]>("Segmentation").Single();
        Assert.That(map, Has.Length.EqualTo(77));
        Assert.That(map, Is.All.InRange(0, 3));
    }

    [Test]
    public void Training_from_a_dataset_uses_the_batch_and_crop_options()
    {
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 12).ToByteArray(),
            new TrainerOptions { BatchSize = 2, CropSize = (5, 4), Mirror = true, LearningRate = 0.05 });
        var last = trainer.Train(Rectangles(5, 7, 9, seed: 4), 4);
        Assert.That(last.Iteration, Is.EqualTo(4));
        Assert.That(trainer.SessionsBuilt, Is.EqualTo(1), "every batch is 2 × 5 × 4");
        Assert.That(trainer.Prepare(2, 5, 4), Is.EqualTo(3));
        Assert.That(trainer.SessionsBuilt, Is.EqualTo(1), "Prepare found the cached session");
    }

    [Test]
    public void One_session_per_batch_shape_is_cached_and_the_cache_is_bounded()
    {
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(2, seed: 8).ToByteArray(), new TrainerOptions { MaxCachedShapes = 2 });
        TrainingBatch Batch(int h, int w) => new(1, h, w, new float[3 * h * w], new int[h * w]);
        var a = Batch(5, 6);
        var b = Batch(7, 6);
        var c = Batch(4, 4);
        foreach (var (batch, built) in new[] { (a, 1), (b, 2), (a, 2), (c, 3), (a, 3), (b, 4) })
        {
            trainer.Step(batch);
            Assert.That(trainer.SessionsBuilt, Is.EqualTo(built));
        }
    }

    [Test]
    public void Train_reports_every_step_with_the_scheduled_learning_rate()
    {
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 9).ToByteArray(),
            new TrainerOptions { LearningRate = 0.1, Schedule = LearningRateSchedule.Step(2, 0.5) });
        var reports = new List<TrainingProgress>();
        var last = trainer.Train(new BatchSampler(Rectangles(3, 6, 6, seed: 1)).Batches(), 5, new SynchronousProgress<TrainingProgress>(reports.Add));
        Assert.That(reports.Select(r => r.Iteration), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(reports.Select(r => r.LearningRate), Is.EqualTo(new[] { 0.1, 0.1, 0.05, 0.05, 0.025 }).Within(1e-12));
        Assert.That(last, Is.EqualTo(reports[^1]));
        Assert.Throws<InvalidOperationException>(() => trainer.Train(new TrainingBatch[0], 1));
    }

    [Test]
    public void A_step_changes_parameters_by_the_SGD_rule_from_the_returned_gradients()
    {
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 10).ToByteArray(),
            new TrainerOptions { LearningRate = 0.5, Momentum = 0.9, WeightDecay = 0.1, BiasLearningRateMultiplier = 2, BiasWeightDecayMultiplier = 0.5 });
        var batch = new BatchSampler(Rectangles(1, 6, 5, seed: 3)).Batches().First();
        var before = trainer.Parameters.ToDictionary(p => p.Name, p => (float[])p.Values.Clone());
        trainer.Step(batch);
        foreach (var p in trainer.Parameters)
        {
            double lr = 0.5 * (p.IsBias ? 2 : 1), decay = 0.1 * (p.IsBias ? 0.5 : 1);
            for (int i = 0; i < p.Values.Length; i++)
                Assert.That(p.Values[i], Is.EqualTo(before[p.Name][i] - lr * (p.Gradient[i] + decay * before[p.Name][i])).Within(1e-6), $"{p.Name}[{i}]");
        }
        Assert.That(trainer.Parameters.Where(p => p.IsBias).Select(p => p.Name), Is.EquivalentTo(new[] { "conv1.bias", "score.bias" }));
    }

    [Test]
    public void A_checkpoint_resumes_training_exactly_where_it_stopped()
    {
        var model = TinyFcns.Small(3, seed: 11).ToByteArray();
        var options = new TrainerOptions { LearningRate = 0.2, Momentum = 0.9, Schedule = LearningRateSchedule.Step(3, 0.5) };
        var batches = new BatchSampler(Rectangles(4, 7, 6, seed: 2), new BatchSamplerOptions { Shuffle = false }).Batches().Take(6).ToList();

        using var straight = new OnnxFcnTrainer(model, options);
        var expected = batches.Select(straight.Step).ToList();

        string path = Path.Combine(TestPaths.NewTempFolder(), "run.ckpt");
        using (var first = new OnnxFcnTrainer(model, options))
        {
            foreach (var b in batches.Take(4)) first.Step(b);
            first.SaveCheckpoint(path);
        }
        using var resumed = new OnnxFcnTrainer(model, options);
        resumed.LoadCheckpoint(path);
        Assert.That(resumed.Iteration, Is.EqualTo(4));
        var rest = batches.Skip(4).Select(resumed.Step).ToList();
        Assert.That(rest, Is.EqualTo(expected.Skip(4)).Within(1e-6));
        Assert.That(resumed.Parameters.Select(p => p.Values), Is.EqualTo(straight.Parameters.Select(p => p.Values)));

        using var other = new OnnxFcnTrainer(model, new TrainerOptions { IsFrozen = n => n == "conv1.bias" });
        var ex = Assert.Throws<InvalidDataException>(() => other.LoadCheckpoint(path));
        Assert.That(ex!.Message, Does.Contain("parameters"));
    }
}
