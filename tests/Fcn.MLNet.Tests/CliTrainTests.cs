using System.Text.Json;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests;

/// <summary><c>fcn train</c> on a small synthetic dataset, as a separate process.</summary>
public class CliTrainTests
{
    private string _dir = "";
    private string _images = "";
    private string _masks = "";
    private string _base = "";

    [OneTimeSetUp]
    public void WriteDataset()
    {
        _dir = TestPaths.NewTempFolder();
        (_images, _masks, _base) = ChannelDataset.Write(_dir);
    }

    private FcnProcess.Result Train(string output, string log, params string[] extra) =>
        FcnProcess.Run(new[] { "train", "--model", _base, "--images", _images, "--masks", _masks, "--num-classes", "3", "--output", output,
            "--iterations", "12", "--lr", "0.02", "--scale", "0.00392157", "--log", log, "--no-shuffle", "--no-augment" }.Concat(extra).ToArray());

    [Test]
    public void Log_has_one_line_per_iteration_the_loss_falls_and_the_run_is_reproducible()
    {
        string log1 = Path.Combine(_dir, "a.jsonl"), log2 = Path.Combine(_dir, "b.jsonl"), onnx = Path.Combine(_dir, "trained.onnx");
        var r = Train(onnx, log1);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        Assert.That(r.StdOut, Does.Contain("iteration 1 (epoch 1)").And.Contain("wrote"));
        var lines = File.ReadAllLines(log1).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(lines.Select(l => l.GetProperty("iteration").GetInt32()), Is.EqualTo(Enumerable.Range(1, 12)));
        Assert.That(lines.Select(l => l.GetProperty("epoch").GetInt32()), Is.EqualTo(new[] { 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3 }), "4 images, batch 1");
        Assert.That(lines[0].GetProperty("lr").GetDouble(), Is.EqualTo(0.02));
        double first = lines.Take(4).Average(l => l.GetProperty("loss").GetDouble()), last = lines.Skip(8).Average(l => l.GetProperty("loss").GetDouble());
        Assert.That(last, Is.LessThan(first * 0.95), $"epoch-3 mean loss {last} vs epoch-1 {first}");

        Assert.That(Train(Path.Combine(_dir, "again.onnx"), log2).ExitCode, Is.Zero);
        var again = File.ReadAllLines(log2).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble());
        Assert.That(again, Is.EqualTo(lines.Select(l => l.GetProperty("loss").GetDouble())).Within(1e-5), "--no-shuffle --no-augment runs repeat");

        var trained = OnnxModelFile.Load(onnx);
        Assert.That(OnnxTensor.ReadFloats(trained.Graph.Initializer.First(t => t.Name == "score_w")), Has.Some.Not.EqualTo(0f));
        Assert.That(new Microsoft.ML.MLContext().Transforms.SegmentFcn(onnx).Preprocessing.Scale, Is.EqualTo(0.00392157f).Within(1e-7f),
            "the preprocessing trained with is stored in the model");
    }

    [Test]
    public void Zip_output_loads_and_scores_with_fcn_predict()
    {
        string zip = Path.Combine(_dir, "trained.zip"), preds = Path.Combine(_dir, "preds");
        Assert.That(Train(zip, Path.Combine(_dir, "z.jsonl"), "--crop", "8x6", "--batch-size", "2").ExitCode, Is.Zero);
        var predict = FcnProcess.Run("predict", "--model", zip, "--input", _images, "--output", preds);
        Assert.That(predict.ExitCode, Is.Zero, predict.StdErr);
        Assert.That(MaskReader.Read(Path.Combine(preds, "s0.png")).Width, Is.EqualTo(12));
    }

    [TestCase("--iterations", "0", "at least 1")]
    [TestCase("--crop", "big", "not a size")]
    [TestCase("--lr", "-1", "Learning rate must be positive")]
    [TestCase("--class-weights", "1,2", "2 weights for 3 classes")]
    [TestCase("--scale-jitter", "1.5:0.5", "expected MIN:MAX")]
    [TestCase("--loss-sample", "0", "(--loss-sample) must be in (0, 1]")]
    [TestCase("--momentum", "1", "Momentum must be in [0, 1)")]
    [TestCase("--bias-decay-mult", "-1", "(--bias-lr-mult, --bias-decay-mult) must be finite and ≥ 0")]
    [TestCase("--allow-lr-change", null, "(--allow-lr-change) applies to Resume (--resume)")]
    [TestCase("--class-weights", "1,x,1", "'x' is not a weight")]
    public void Bad_training_arguments_exit_2(string flag, string? value, string message)
    {
        var args = new List<string> { "train", "--model", _base, "--images", _images, "--masks", _masks, "--num-classes", "3", "--output", Path.Combine(_dir, "x.onnx"), flag };
        if (value is not null) args.Add(value);
        var r = FcnProcess.Run(args.ToArray());
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain(message));
    }

    [Test]
    public void Class_count_mismatch_is_a_one_line_failure()
    {
        var r = FcnProcess.Run("train", "--model", _base, "--images", _images, "--masks", _masks, "--num-classes", "5", "--output", Path.Combine(_dir, "x.onnx"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("scores 3 classes but 5 were asked for"));
    }

    [Test]
    public void Outputs_that_would_overwrite_an_input_are_refused_and_the_input_is_untouched()
    {
        byte[] model = File.ReadAllBytes(_base);
        string mask = Directory.GetFiles(_masks)[0];
        var cases = new[]
        {
            (new[] { "--output", _base }, "is the --model input"),
            (new[] { "--output", Path.Combine(_dir, "y.onnx"), "--log", mask }, "would write into the --masks folder"),
            (new[] { "--output", Path.Combine(_dir, "y.onnx"), "--checkpoint-dir", _images }, "would write into the --images folder"),
            (new[] { "--output", Path.Combine(_dir, "y.onnx"), "--log", Path.Combine(_dir, "y.onnx") }, "name the same file"),
        };
        foreach (var (extra, message) in cases)
        {
            var args = new List<string> { "train", "--model", _base, "--images", _images, "--masks", _masks, "--num-classes", "3", "--iterations", "1" };
            args.AddRange(extra);
            var r = FcnProcess.Run(args.ToArray());
            Assert.That(r.ExitCode, Is.EqualTo(2), string.Join(" ", extra));
            Assert.That(r.StdErr, Does.Contain(message));
        }
        Assert.That(File.ReadAllBytes(_base), Is.EqualTo(model));
        Assert.That(Directory.GetFiles(_images), Has.Length.EqualTo(4));
    }
}
