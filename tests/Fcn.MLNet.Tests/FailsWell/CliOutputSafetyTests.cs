using System.Diagnostics;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.MLNet;

namespace Fcn.MLNet.Tests.FailsWell;

/// <summary>
/// The command line never writes over a user's file, checks every output before working, leaves no temporary file
/// anywhere (system temp included) however it ends, and stops cleanly on Ctrl-C.
/// </summary>
public class CliOutputSafetyTests : ChannelDatasetFixture
{
    private static Dictionary<string, byte[]> Snapshot(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => f, File.ReadAllBytes);

    private string[] Train(params string[] extra) =>
        new[] { "train", "--model", Data.BaseModel, "--images", Data.Images, "--masks", Data.Masks, "--num-classes", "3",
            "--scale", "0.00392157", "--lr", "0.02" }.Concat(extra).ToArray();

    [Test]
    public void Predict_refuses_to_write_into_its_input_or_masks_folder_and_leaves_them_untouched()
    {
        var images = Snapshot(Data.Images);
        var masks = Snapshot(Data.Masks);
        foreach (var (output, message) in new[] { (Data.Images, "would write into the --input folder"), (Data.Masks, "would write into the --masks folder") })
        {
            var r = FcnProcess.Run("predict", "--model", Data.BaseModel, "--input", Data.Images, "--output", output, "--masks", Data.Masks, "--scale", "0.00392157", "--overwrite");
            Assert.That(r.ExitCode, Is.EqualTo(2), r.StdErr);
            Assert.That(r.StdErr, Does.Contain(message));
        }
        // One image given as a file, output next to it: its class map would replace the photo.
        string photo = Directory.GetFiles(Data.Images)[0];
        var single = FcnProcess.Run("predict", "--model", Data.BaseModel, "--input", photo, "--output", Data.Images, "--overwrite");
        Assert.That(single.ExitCode, Is.EqualTo(2));
        Assert.That(single.StdErr, Does.Contain("is the --input input"));
        Assert.That(Snapshot(Data.Images), Is.EqualTo(images));
        Assert.That(Snapshot(Data.Masks), Is.EqualTo(masks));
    }

    [Test]
    public void Existing_outputs_are_replaced_only_with_overwrite()
    {
        string output = Path.Combine(Dir, "pred-twice");
        string[] args = { "predict", "--model", Data.BaseModel, "--input", Data.Images, "--output", output, "--scale", "0.00392157" };
        Assert.That(FcnProcess.Run(args).ExitCode, Is.Zero);
        string first = Directory.GetFiles(output).Order().First();
        File.WriteAllText(first, "the user's edit");
        var again = FcnProcess.Run(args);
        Assert.That(again.ExitCode, Is.EqualTo(2));
        Assert.That(again.StdErr, Does.Contain("exists; pass --overwrite"));
        Assert.That(File.ReadAllText(first), Is.EqualTo("the user's edit"));
        Assert.That(FcnProcess.Run(args.Append("--overwrite").ToArray()).ExitCode, Is.Zero);
        Assert.That(File.ReadAllText(first), Is.Not.EqualTo("the user's edit"));

        string zip = Path.Combine(Dir, "model.zip");
        File.WriteAllText(zip, "keep me");
        var import = FcnProcess.Run("import", "--onnx", Data.BaseModel, "--output", zip);
        Assert.That(import.ExitCode, Is.EqualTo(2));
        Assert.That(File.ReadAllText(zip), Is.EqualTo("keep me"));
        string json = Path.Combine(Dir, "metrics.json");
        File.WriteAllText(json, "{}");
        var evaluate = FcnProcess.Run("evaluate", "--masks", Data.Masks, "--predictions", output, "--num-classes", "3", "--json", json);
        Assert.That(evaluate.ExitCode, Is.EqualTo(2));
        Assert.That(evaluate.StdErr, Does.Contain("--json"));
    }

    [Test]
    public void Output_paths_of_the_wrong_kind_fail_before_any_work()
    {
        string file = Path.Combine(Dir, "a-file");
        File.WriteAllText(file, "x");
        var cases = new[]
        {
            (Train("--output", Path.Combine(Dir, "t.onnx"), "--checkpoint-dir", file, "--iterations", "1"), "is a file; give a folder"),
            (Train("--output", Dir, "--iterations", "1"), "--output must be a .onnx or .zip file"),
            (Train("--output", Path.Combine(file, "t.onnx"), "--iterations", "1"), "is a file, not a folder"),
            (new[] { "predict", "--model", Data.BaseModel, "--input", Data.Images, "--output", file }, "is a file; give a folder"),
            (new[] { "build", "--backbone", "resnet18", "--arch", "fcn8s", "--num-classes", "3", "--output", Path.Combine(Dir, "sub.onnx"), "--overwrite", "--classes", file }, "lists 1 class names"),
        };
        foreach (var (args, message) in cases)
        {
            var r = FcnProcess.Run(args);
            Assert.That(r.ExitCode, Is.Not.Zero, string.Join(" ", args));
            Assert.That(r.StdErr, Does.Contain(message), string.Join(" ", args));
            Assert.That(r.StdOut, Does.Not.Contain("iteration"), "refused before training");
        }
    }

    [Test]
    public void Train_refuses_a_checkpoint_folder_of_an_earlier_run_unless_resumed_or_overwritten()
    {
        string ckpt = Path.Combine(Dir, "ckpt-again"), output = Path.Combine(Dir, "again.onnx");
        Assert.That(FcnProcess.Run(Train("--output", output, "--iterations", "4", "--checkpoint-dir", ckpt)).ExitCode, Is.Zero);
        byte[] before = File.ReadAllBytes(Path.Combine(ckpt, FcnCheckpoint.FileName));
        var r = FcnProcess.Run(Train("--output", Path.Combine(Dir, "again2.onnx"), "--iterations", "4", "--checkpoint-dir", ckpt));
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain("holds the checkpoint of an earlier run").And.Contain("--resume"));
        Assert.That(File.ReadAllBytes(Path.Combine(ckpt, FcnCheckpoint.FileName)), Is.EqualTo(before));
        var resumed = FcnProcess.Run(Train("--output", output, "--iterations", "8", "--checkpoint-dir", ckpt, "--resume"));
        Assert.That(resumed.ExitCode, Is.Zero, resumed.StdErr);
        Assert.That(FcnProcess.Run(Train("--output", output, "--iterations", "4", "--checkpoint-dir", ckpt, "--overwrite")).ExitCode, Is.Zero);
    }

    [Test]
    public void Every_command_leaves_the_temp_folder_as_it_found_it()
    {
        string temp = Path.Combine(Dir, "tmp-commands");
        Directory.CreateDirectory(temp);
        // A folder a killed fcn process left behind (its pid no longer runs) is removed by the next command.
        string stale = Path.Combine(temp, "fcn-cli", $"{int.MaxValue - 7}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(stale);
        File.WriteAllBytes(Path.Combine(stale, "model.tmp"), new byte[1000]);
        var env = new Dictionary<string, string> { ["TMPDIR"] = temp };
        string zip = Path.Combine(Dir, "temp-check.zip"), output = Path.Combine(Dir, "temp-check");
        var runs = new[]
        {
            new[] { "import", "--onnx", Data.BaseModel, "--output", zip, "--scale", "0.00392157" },
            new[] { "predict", "--model", zip, "--input", Data.Images, "--output", output },
            new[] { "evaluate", "--model", zip, "--images", Data.Images, "--masks", Data.Masks, "--num-classes", "3" },
            Train("--output", Path.Combine(Dir, "temp-check.onnx"), "--epochs", "2", "--val-images", Data.Images, "--val-masks", Data.Masks,
                "--checkpoint-dir", Path.Combine(Dir, "temp-check-ckpt")),
            new[] { "predict", "--model", Path.Combine(Dir, "no-such.zip"), "--input", Data.Images, "--output", Path.Combine(Dir, "temp-fail") },
        };
        foreach (var args in runs)
        {
            var r = FcnProcess.RunWith(env, args);
            Assert.That(r.ExitCode, args[2].Contains("no-such") ? Is.EqualTo(1) : Is.Zero, r.StdErr);
            // ONNX Runtime's telemetry keeps one 51-byte session file, .ses, per temp folder (reused, never more).
            Assert.That(Directory.GetFiles(temp, "*", SearchOption.AllDirectories).Where(f => Path.GetFileName(f) != ".ses"), Is.Empty, string.Join(" ", args));
        }
    }

    [Test]
    public void Ctrl_C_stops_training_cleanly_keeps_the_checkpoint_and_does_not_write_the_output()
    {
        string ckpt = Path.Combine(Dir, "ckpt-interrupt"), output = Path.Combine(Dir, "interrupted.onnx");
        using var p = FcnProcess.Start(null, Train("--output", output, "--epochs", "100000", "--checkpoint-dir", ckpt));
        var stderr = p.StandardError.ReadToEndAsync();
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null && !line.Contains("iteration 40 (")) { }
        Assert.That(line, Is.Not.Null, "training started");
        // SIGTERM, handled like Ctrl-C (SIGINT itself is ignored by processes started from a background shell job).
        using (var kill = Process.Start("kill", new[] { "-TERM", p.Id.ToString() })) kill.WaitForExit();
        p.StandardOutput.ReadToEnd();
        Assert.That(p.WaitForExit(60_000), "stopped within a minute");
        Assert.That(p.ExitCode, Is.EqualTo(130));
        Assert.That(stderr.Result, Does.Contain("interrupted").And.Contain("--resume"));
        Assert.That(File.Exists(output), Is.False, "an interrupted run is not a finished model");
        Assert.That(FcnCheckpoint.Load(ckpt)!.Epoch, Is.GreaterThanOrEqualTo(9), "4 images: 10 epochs started by iteration 40");
        Assert.That(Directory.GetFiles(Dir, "*", SearchOption.AllDirectories).Where(AtomicFile.IsTemporaryName), Is.Empty);
        Assert.That(File.Exists(Path.Combine(ckpt, CheckpointFolderLock.FileName)), Is.False);
    }

    [Test]
    public void A_finished_model_that_cannot_be_written_is_not_lost()
    {
        // A file name the file system refuses (over 255 bytes) fails only when the model is written, after training.
        string ckpt = Path.Combine(Dir, "ckpt-unwritable"), output = Path.Combine(Dir, new string('m', 300) + ".onnx");
        var r = FcnProcess.Run(Train("--output", output, "--iterations", "4", "--checkpoint-dir", ckpt));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("could not write --output").And.Contain(Path.Combine(ckpt, FcnCheckpoint.FileName)));
        Assert.That(FcnCheckpoint.Load(ckpt)!.Epoch, Is.EqualTo(1));
    }

    [Test]
    public void Help_after_a_command_prints_its_usage()
    {
        var r = FcnProcess.Run("predict", "--help");
        Assert.That(r.ExitCode, Is.Zero);
        Assert.That(r.StdOut, Does.Contain("fcn predict").And.Contain("--overwrite"));
    }
}
