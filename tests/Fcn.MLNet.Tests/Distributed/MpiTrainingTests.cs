using System.Text.Json;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Distributed;

/// <summary>
/// <c>mpirun -np 2 fcn train --batch-size 1</c> is the same training as <c>fcn train --batch-size 2</c> in one process:
/// the same per-iteration losses (the log is rank 0's) and the same weights, with ignored pixels in different
/// numbers per image, class weights and loss sampling all on (each would break a careless split). A rank that fails
/// ends the job with its message.
/// </summary>
[Category("Mpi")]
public class MpiTrainingTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(150);
    private string _dir = "";
    private EqualSizeDataset _data = null!;

    [OneTimeSetUp]
    public void WriteData()
    {
        _dir = TestPaths.NewTempFolder();
        _data = EqualSizeDataset.Write(_dir);
    }

    private string[] TrainArgs(string name, int batchSize, params string[] extra) => new[]
    {
        "train", "--model", _data.BaseModel, "--images", _data.Images, "--masks", _data.Masks, "--num-classes", "3",
        "--output", Path.Combine(_dir, name + ".onnx"), "--log", Path.Combine(_dir, name + ".jsonl"), "--scale", "0.00392157",
        "--batch-size", batchSize.ToString(), "--no-augment", "--no-shuffle", "--lr", "0.05", "--seed", "3",
        "--class-weights", "1,2,0.5", "--loss-sample", "0.7",
    }.Concat(extra).ToArray();

    private double[] Losses(string name) =>
        File.ReadAllLines(Path.Combine(_dir, name + ".jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("loss").GetDouble()).ToArray();

    private Dictionary<string, float[]> Weights(string name) =>
        OnnxModelFile.Load(Path.Combine(_dir, name + ".onnx")).Graph.Initializer.Where(t => t.DataType == 1).ToDictionary(t => t.Name, OnnxTensor.ReadFloats);

    private static void AssertSameTraining(double[] expected, double[] actual, Dictionary<string, float[]> expectedWeights, Dictionary<string, float[]> actualWeights)
    {
        Assert.That(actual, Has.Length.EqualTo(expected.Length));
        double worst = expected.Zip(actual, (e, a) => Math.Abs(a - e) / Math.Abs(e)).Max();
        TestContext.Out.WriteLine($"max relative loss difference {worst:E2} over {expected.Length} iterations: [{string.Join(", ", expected.Zip(actual, (e, a) => $"{e:G9}/{a:G9}"))}]");
        Assert.That(worst, Is.LessThan(1e-5), "per-iteration losses, relative");
        Assert.That(actualWeights.Keys, Is.EquivalentTo(expectedWeights.Keys));
        double maxDiff = expectedWeights.Max(kv => kv.Value.Zip(actualWeights[kv.Key], (e, a) => (double)Math.Abs(a - e)).Max());
        TestContext.Out.WriteLine($"max absolute weight difference {maxDiff:E2}");
        foreach (var (name, values) in expectedWeights)
            Assert.That(actualWeights[name], Is.EqualTo(values).Within(1e-5f), name);
    }

    [Test]
    public void Two_ranks_of_batch_1_train_as_one_process_of_batch_2()
    {
        // Validation (after each of the 3 epochs) is sharded over the ranks and its confusion matrices summed.
        string[] validation = { "--iterations", "6", "--val-images", _data.Images, "--val-masks", _data.Masks };
        var single = FcnProcess.Run(TrainArgs("single", 2, validation));
        Assert.That(single.ExitCode, Is.Zero, single.StdErr);
        var mpi = MpiRun.Run(2, Limit, TrainArgs("mpi", 1, validation));
        Assert.That(mpi.ExitCode, Is.Zero, mpi.StdOut + mpi.StdErr);
        Assert.That(mpi.StdOut, Does.Contain("global batch 2"));
        AssertSameTraining(Losses("single"), Losses("mpi"), Weights("single"), Weights("mpi"));
        static string[] MeanIUs(string output) => System.Text.RegularExpressions.Regex.Matches(output, @"validation mean IU [0-9.]+").Select(m => m.Value).ToArray();
        Assert.That(MeanIUs(single.StdOut), Has.Length.EqualTo(4), single.StdOut);
        Assert.That(MeanIUs(mpi.StdOut), Is.EqualTo(MeanIUs(single.StdOut)), mpi.StdOut);
        var separate = FcnProcess.Run(TrainArgs("batch1", 1, "--iterations", "6"));
        Assert.That(separate.ExitCode, Is.Zero, separate.StdErr);
        Assert.That(Losses("batch1"), Is.Not.EqualTo(Losses("single")).Within(1e-3), "the reference can disagree: batch 1 alone trains otherwise");
    }

    [Test]
    public void Under_MPICH_two_ranks_of_batch_1_also_train_as_one_process_of_batch_2()
    {
        var single = FcnProcess.Run(TrainArgs("single-h", 2, "--iterations", "6"));
        Assert.That(single.ExitCode, Is.Zero, single.StdErr);
        var mpich = MpiRun.RunMpich(2, Limit, TrainArgs("mpich", 1, "--iterations", "6"));
        Assert.That(mpich.ExitCode, Is.Zero, mpich.StdOut + mpich.StdErr);
        Assert.That(mpich.StdOut, Does.Contain("MPICH (libmpich.so.12)"));
        AssertSameTraining(Losses("single-h"), Losses("mpich"), Weights("single-h"), Weights("mpich"));
    }

    [Test]
    public void A_run_checkpointed_by_two_ranks_resumes_in_one_process_with_the_same_global_batch()
    {
        var straight = FcnProcess.Run(TrainArgs("straight", 2, "--epochs", "4"));
        Assert.That(straight.ExitCode, Is.Zero, straight.StdErr);
        string checkpoints = Path.Combine(_dir, "ckpt");
        var first = MpiRun.Run(2, Limit, TrainArgs("resumed", 1, "--epochs", "2", "--checkpoint-dir", checkpoints));
        Assert.That(first.ExitCode, Is.Zero, first.StdOut + first.StdErr);
        var other = FcnProcess.Run(TrainArgs("resumed", 1, "--epochs", "4", "--checkpoint-dir", checkpoints, "--resume"));
        Assert.That(other.ExitCode, Is.Not.Zero, "global batch 1 ≠ the checkpoint's 2");
        Assert.That(other.StdErr, Does.Contain("sampling: batch 2,").And.Contain("→ batch 1,").And.Contain("MPI ranks × batch size"));
        var rest = FcnProcess.Run(TrainArgs("resumed", 2, "--epochs", "4", "--checkpoint-dir", checkpoints, "--resume"));
        Assert.That(rest.ExitCode, Is.Zero, rest.StdErr);
        AssertSameTraining(Losses("straight"), Losses("resumed"), Weights("straight"), Weights("resumed"));
    }

    [Test]
    public void Ranks_that_see_other_training_data_are_stopped_before_they_train()
    {
        // Rank 1 reads a copy of the masks in which one label differs: same files, other data.
        string masks = Path.Combine(_dir, "other-masks");
        Directory.CreateDirectory(masks);
        foreach (var f in Directory.GetFiles(_data.Masks)) File.Copy(f, Path.Combine(masks, Path.GetFileName(f)));
        var mask = Fcn.MLNet.Imaging.MaskReader.Read(Path.Combine(masks, "e2.png"));
        var labels = mask.Labels.ToArray();
        labels[0] = (labels[0] + 1) % 3;
        File.Delete(Path.Combine(masks, "e2.png"));
        Fcn.MLNet.Imaging.MaskWriter.WriteIndexPng(Path.Combine(masks, "e2.png"), new Fcn.MLNet.Imaging.LabelMap(mask.Width, mask.Height, labels));
        var rank0 = TrainArgs("disagree", 1, "--iterations", "2");
        var rank1 = (string[])rank0.Clone();
        rank1[Array.IndexOf(rank1, "--masks") + 1] = masks;
        var r = MpiRun.RunEach(TimeSpan.FromSeconds(90), rank0, rank1);
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr, Does.Contain("rank 1 sees other training data than rank 0"));
        Assert.That(File.Exists(Path.Combine(_dir, "disagree.onnx")), Is.False);
    }

    [Test]
    public void A_bad_file_on_one_rank_ends_the_whole_job_with_its_message()
    {
        string images = Path.Combine(_dir, "bad-images");
        Directory.CreateDirectory(images);
        foreach (var f in Directory.GetFiles(_data.Images)) File.Copy(f, Path.Combine(images, Path.GetFileName(f)));
        // e1 is the second file: rank 1 of 2 checks it while rank 0 waits for it.
        string bad = Path.Combine(images, "e1.png");
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..40]);
        var args = TrainArgs("bad", 1, "--iterations", "2");
        args[Array.IndexOf(args, "--images") + 1] = images;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var r = MpiRun.Run(2, TimeSpan.FromSeconds(90), args);
        Assert.That(r.ExitCode, Is.Not.Zero);
        Assert.That(r.StdErr, Does.Contain("[rank 1 of 2]").And.Contain(bad));
        Assert.That(File.Exists(Path.Combine(_dir, "bad.onnx")), Is.False);
        TestContext.Out.WriteLine($"job ended after {clock.Elapsed.TotalSeconds:F1} s, exit {r.ExitCode}");
    }
}
