using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Distributed;

/// <summary>
/// <c>mpirun -np N fcn predict|evaluate</c> splits the images among the ranks: predict writes exactly the files one
/// process writes; evaluate sums the ranks' confusion matrices, so its printed metrics and <c>--json</c> equal the
/// single-process run byte for byte — also with shares of unequal size (4 images over 3 ranks).
/// </summary>
[Category("Mpi")]
public class MpiScoringTests : ChannelDatasetFixture
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(120);
    private string _model = "";

    [OneTimeSetUp]
    public void WriteModel() => _model = TestFcn.Create(classes: 3, seed: 11, weightScale: 1f / 32f).Save(Dir, "scorer.onnx");

    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    [Test]
    public void Predict_on_two_ranks_writes_the_files_of_one_process()
    {
        string one = Path.Combine(Dir, "predict-1"), two = Path.Combine(Dir, "predict-2");
        string[] Args(string output) => new[] { "predict", "--model", _model, "--input", Data.Images, "--output", output, "--colorize" };
        var single = FcnProcess.Run(Args(one));
        Assert.That(single.ExitCode, Is.Zero, single.StdErr);
        var mpi = MpiRun.Run(2, Limit, Args(two));
        Assert.That(mpi.ExitCode, Is.Zero, mpi.StdOut + mpi.StdErr);
        Assert.That(mpi.StdOut.Trim(), Is.EqualTo($"wrote 4 class map(s) to {Path.GetFullPath(two)}"), "one summary, from rank 0, counting all ranks");
        var expected = Files(one);
        Assert.That(expected, Has.Count.EqualTo(8));
        var actual = Files(two);
        Assert.That(actual.Keys, Is.EquivalentTo(expected.Keys));
        foreach (var (name, bytes) in expected) Assert.That(actual[name], Is.EqualTo(bytes), name);
    }

    [TestCase(2)]
    [TestCase(3)]
    public void Evaluate_on_several_ranks_prints_and_writes_the_metrics_of_one_process(int ranks)
    {
        string[] Args(string json) => new[] { "evaluate", "--model", _model, "--images", Data.Images, "--masks", Data.Masks, "--num-classes", "3", "--json", json };
        string oneJson = Path.Combine(Dir, $"eval-1-{ranks}.json"), manyJson = Path.Combine(Dir, $"eval-{ranks}.json");
        var single = FcnProcess.Run(Args(oneJson));
        Assert.That(single.ExitCode, Is.Zero, single.StdErr);
        var mpi = MpiRun.Run(ranks, Limit, Args(manyJson));
        Assert.That(mpi.ExitCode, Is.Zero, mpi.StdOut + mpi.StdErr);
        Assert.That(mpi.StdOut, Is.EqualTo(single.StdOut), "printed metrics");
        Assert.That(File.ReadAllText(manyJson), Is.EqualTo(File.ReadAllText(oneJson)), "--json");
        Assert.That(File.ReadAllText(oneJson), Does.Contain("\"meanIU\"").IgnoreCase);
    }

    [Test]
    public void Evaluate_report_on_two_ranks_is_rank_0s_from_predictions_and_refused_with_a_model()
    {
        string preds = Path.Combine(Dir, "report-preds"), one = Path.Combine(Dir, "report-1"), two = Path.Combine(Dir, "report-2");
        Assert.That(FcnProcess.Run("predict", "--model", _model, "--input", Data.Images, "--output", preds).ExitCode, Is.Zero);
        string[] Args(string report) => new[] { "evaluate", "--masks", Data.Masks, "--predictions", preds, "--num-classes", "3", "--report", report };
        var single = FcnProcess.Run(Args(one));
        Assert.That(single.ExitCode, Is.Zero, single.StdErr);
        var mpi = MpiRun.Run(2, Limit, Args(two));
        Assert.That(mpi.ExitCode, Is.Zero, mpi.StdOut + mpi.StdErr);
        Assert.That(Directory.GetFiles(two).Select(Path.GetFileName), Is.EquivalentTo(Fcn.MLNet.Reporting.SegmentationReport.FileNames), "written once, no temporary file");
        Assert.That(File.ReadAllText(Path.Combine(two, "metrics.json")), Is.EqualTo(File.ReadAllText(Path.Combine(one, "metrics.json"))));

        var refused = MpiRun.Run(2, Limit, "evaluate", "--model", _model, "--images", Data.Images, "--masks", Data.Masks, "--num-classes", "3",
            "--report", Path.Combine(Dir, "report-model"));
        Assert.That(refused.ExitCode, Is.Not.Zero);
        Assert.That(refused.StdOut + refused.StdErr, Does.Contain("--report with --model scores every image in one process"));
        Assert.That(Directory.Exists(Path.Combine(Dir, "report-model")), Is.False);
    }
}
