using System.Text.Json;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests;

/// <summary>
/// <c>fcn train</c> runs that must be reproducible and honest, each in processes of their own: the same seed gives
/// the same losses in any process with shuffling and augmentation on; kill + <c>--resume</c> continues exactly;
/// divergence stops with exit 1 and no model; a resume with other settings is refused, naming them.
/// </summary>
public class CliTrainRunTests : ChannelDatasetFixture
{
    /// <summary>Shuffling, mirroring, scale jitter, crops and loss sampling all on: every random draw is exercised.</summary>
    private FcnProcess.Result Train(string output, string log, params string[] extra)
    {
        var flags = new List<string> { "--lr", "0.02", "--seed", "7", "--batch-size", "2" };
        for (int i = 0; i < extra.Length; i++)
        {
            int at = flags.IndexOf(extra[i]);
            bool valued = i + 1 < extra.Length && !extra[i + 1].StartsWith("--", StringComparison.Ordinal);
            if (at >= 0 && valued) flags[at + 1] = extra[++i];   // an override of a default above
            else
            {
                flags.Add(extra[i]);
                if (valued) flags.Add(extra[++i]);
            }
        }
        return FcnProcess.Run(new[] { "train", "--model", Data.BaseModel, "--images", Data.Images, "--masks", Data.Masks, "--num-classes", "3",
            "--output", output, "--scale", "0.00392157", "--log", log, "--scale-jitter", "0.75:1.5", "--crop", "10x8", "--loss-sample", "0.8" }
            .Concat(flags).ToArray());
    }

    private static List<JsonElement> Lines(string log) => File.ReadAllLines(log).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    private static double[] Losses(string log) => Lines(log).Select(l => l.GetProperty("loss").GetDouble()).ToArray();

    private static Dictionary<string, float[]> Weights(string onnx) =>
        OnnxModelFile.Load(onnx).Graph.Initializer.Where(t => t.DataType == 1).ToDictionary(t => t.Name, OnnxTensor.ReadFloats);

    [Test]
    public void The_same_seed_gives_the_same_losses_and_weights_in_another_process()
    {
        string a = Path.Combine(Dir, "seed-a.jsonl"), b = Path.Combine(Dir, "seed-b.jsonl");
        var r1 = Train(Path.Combine(Dir, "seed-a.onnx"), a, "--epochs", "3");
        var r2 = Train(Path.Combine(Dir, "seed-b.onnx"), b, "--epochs", "3");
        Assert.That((r1.ExitCode, r2.ExitCode), Is.EqualTo((0, 0)), r1.StdErr + r2.StdErr);
        Assert.That(Losses(a), Has.Length.EqualTo(6));
        Assert.That(Losses(b), Is.EqualTo(Losses(a)), "bit-identical losses");
        Assert.That(Weights(Path.Combine(Dir, "seed-b.onnx")), Is.EqualTo(Weights(Path.Combine(Dir, "seed-a.onnx"))));
        var other = Path.Combine(Dir, "seed-c.jsonl");
        Assert.That(Train(Path.Combine(Dir, "seed-c.onnx"), other, "--epochs", "3", "--seed", "8").ExitCode, Is.Zero);
        Assert.That(Losses(other), Is.Not.EqualTo(Losses(a)), "another seed draws other batches");
    }

    [Test]
    public void Kill_and_resume_gives_the_losses_and_weights_of_the_uninterrupted_run()
    {
        string straightLog = Path.Combine(Dir, "straight.jsonl"), straight = Path.Combine(Dir, "straight.onnx");
        Assert.That(Train(straight, straightLog, "--epochs", "3", "--checkpoint-dir", Path.Combine(Dir, "ck-straight")).ExitCode, Is.Zero);

        // The interrupted run: its checkpoint is after epoch 1; it had logged two more iterations and a torn line
        // when it was killed.
        string folder = Path.Combine(Dir, "ck-killed"), log = Path.Combine(Dir, "killed.jsonl"), resumed = Path.Combine(Dir, "resumed.onnx");
        Assert.That(Train(Path.Combine(Dir, "partial.onnx"), log, "--epochs", "1", "--checkpoint-dir", folder).ExitCode, Is.Zero);
        File.AppendAllText(log, "{\"stage\":\"model\",\"iteration\":3,\"epoch\":2,\"loss\":9,\"lr\":0.02,\"seconds\":0}\n{\"stage\":\"model\",\"iter");
        var r = Train(resumed, log, "--epochs", "3", "--checkpoint-dir", folder, "--resume");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        Assert.That(r.StdOut, Does.Contain("resuming"));

        Assert.That(Lines(log).Select(l => l.GetProperty("iteration").GetInt32()), Is.EqualTo(Enumerable.Range(1, 6)), "one line per iteration, none twice");
        Assert.That(Losses(log), Is.EqualTo(Losses(straightLog)), "the resumed run's losses are the uninterrupted run's");
        Assert.That(Weights(resumed), Is.EqualTo(Weights(straight)), "bit-identical weights");
    }

    [Test]
    public void A_resume_with_other_settings_is_refused_naming_them_and_a_new_learning_rate_needs_the_override()
    {
        string folder = Path.Combine(Dir, "ck-settings"), log = Path.Combine(Dir, "settings.jsonl");
        Assert.That(Train(Path.Combine(Dir, "s1.onnx"), log, "--epochs", "1", "--checkpoint-dir", folder).ExitCode, Is.Zero);

        var lr = Train(Path.Combine(Dir, "s2.onnx"), log, "--epochs", "2", "--checkpoint-dir", folder, "--resume", "--lr", "0.05");
        Assert.That(lr.ExitCode, Is.EqualTo(1));
        Assert.That(lr.StdErr, Does.Contain("learning rate: 0.02 (checkpoint) → 0.05 (now)").And.Contain("can be allowed explicitly"));
        Assert.That(File.Exists(Path.Combine(Dir, "s2.onnx")), Is.False);

        var several = Train(Path.Combine(Dir, "s3.onnx"), log, "--epochs", "2", "--checkpoint-dir", folder, "--resume", "--batch-size", "1", "--seed", "3");
        Assert.That(several.ExitCode, Is.EqualTo(1));
        Assert.That(several.StdErr, Does.Contain("sampling: batch 2").And.Contain("seed 7").And.Contain("batch 1"));

        var allowed = Train(Path.Combine(Dir, "s4.onnx"), log, "--epochs", "2", "--checkpoint-dir", folder, "--resume", "--lr", "0.05", "--allow-lr-change");
        Assert.That(allowed.ExitCode, Is.Zero, allowed.StdErr);
        Assert.That(allowed.StdOut, Does.Contain("resuming with learning rate 0.05"));
    }

    [Test]
    public void A_diverging_run_stops_with_exit_1_names_the_iteration_and_writes_no_model()
    {
        string output = Path.Combine(Dir, "diverged.onnx"), log = Path.Combine(Dir, "diverged.jsonl"), folder = Path.Combine(Dir, "ck-diverged");
        var r = Train(output, log, "--epochs", "3", "--lr", "1e30", "--checkpoint-dir", folder);
        Assert.That(r.ExitCode, Is.EqualTo(1), r.StdOut);
        Assert.That(r.StdErr, Does.Contain("Training diverged at iteration").And.Contain("epoch 1"));
        Assert.That(File.Exists(output), Is.False, "no model from a diverged run");
        Assert.That(() => Lines(log), Throws.Nothing, "every log line is JSON");
        Assert.That(Losses(log), Is.All.Matches<double>(double.IsFinite));
    }

    [Test]
    public void Labels_the_class_count_does_not_allow_are_an_error_naming_the_mask()
    {
        string masks = Path.Combine(Dir, "masks-bad");
        Directory.CreateDirectory(masks);
        foreach (var f in Directory.GetFiles(Data.Masks)) File.Copy(f, Path.Combine(masks, Path.GetFileName(f)));
        var map = MaskReader.Read(Path.Combine(masks, "s2.png"));
        map.Labels[5] = 7;
        MaskWriter.WriteIndexPng(Path.Combine(masks, "s2.png"), map);
        var r = FcnProcess.Run("train", "--model", Data.BaseModel, "--images", Data.Images, "--masks", masks, "--num-classes", "3",
            "--output", Path.Combine(Dir, "bad.onnx"), "--scale", "0.00392157");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("s2.png").And.Contain("label 7").And.Contain("3 classes"));
    }
}
