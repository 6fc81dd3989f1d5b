using System.Diagnostics;
using System.Text.RegularExpressions;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests;

/// <summary><c>fcn --help</c>, <c>fcn &lt;command&gt; --help</c>, <c>fcn --version</c> and the progress output.</summary>
public class CliHelpTests
{
    private static readonly string[] Commands = { "predict", "evaluate", "import", "quantize", "convolutionalize", "build", "train" };

    [Test]
    public void Help_lists_every_command_the_size_order_and_the_exit_codes()
    {
        var r = FcnProcess.Run("--help");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        foreach (var command in Commands) Assert.That(r.StdOut, Does.Match($@"\n  {command} +\S"), command);
        Assert.That(r.StdOut, Does.Contain("WIDTHxHEIGHT").And.Contain("fcn --version"));
        foreach (var code in new[] { "0", "1", "2", "3", "130" }) Assert.That(r.StdOut, Does.Match($@"\n +{code}  \S"), $"exit code {code}");
    }

    [TestCaseSource(nameof(Commands))]
    public void Command_help_gives_usage_and_every_flag_with_defaults(string command)
    {
        var r = FcnProcess.Run(command, "--help");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdOut, Does.StartWith($"fcn {command}: ").And.Contain($"usage:\n  fcn {command} ").And.Contain("\noptions:\n"));
        Assert.That(r.StdOut, Does.Contain("  --overwrite "), "every command guards its outputs");
    }

    [Test]
    public void Every_flag_the_commands_read_is_in_their_help()
    {
        string help = string.Join("\n", Commands.Select(c => FcnProcess.Run(c, "--help").StdOut));
        string source = Path.Combine(FcnProcess.RepoRoot(), "samples", "Fcn.Cli");
        var read = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"cl\.(?:Optional|Required|Flag|Has|OptionalInt|RequiredInt|OptionalDouble|OptionalFloat)\(""([a-z0-9-]+)""").Select(m => m.Groups[1].Value))
            .Distinct().ToList();
        Assert.That(read, Has.Count.GreaterThan(50));
        Assert.That(read.Where(name => !help.Contains($"  --{name} ")).ToList(), Is.Empty, "flags read but missing from help");
    }

    [Test]
    public void Size_flags_read_width_by_height_and_say_so()
    {
        Assert.That(FcnProcess.Run("train", "--help").StdOut, Does.Match(@"--crop WxH +random crops WIDTHxHEIGHT.*\(pixels\)"));
        Assert.That(FcnProcess.Run("convolutionalize", "--help").StdOut, Does.Match(@"--input-size WxH +.*WIDTHxHEIGHT.*\(pixels\)"));
        Assert.That(FcnProcess.Run("predict", "--help").StdOut, Does.Match(@"--tile PX +.*\(pixels\)"));
    }

    [Test]
    public void Version_prints_the_informational_version()
    {
        var r = FcnProcess.Run("--version");
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdOut.Trim(), Is.EqualTo(FileVersionInfo.GetVersionInfo(FcnProcess.CliDll()).ProductVersion));
        Assert.That(r.StdOut.Trim(), Does.StartWith("0.").Or.Match(@"^\d+\.\d+\.\d+"));
    }

    [Test]
    public void Usage_errors_point_to_the_command_help()
    {
        var r = FcnProcess.Run("import", "--onnx", "a.onnx");
        Assert.That(r.ExitCode, Is.EqualTo(2));
        Assert.That(r.StdErr, Does.Contain("--output is required").And.Contain("usage:\n  fcn import --onnx <file.onnx> --output <model.zip> [options]").And.Contain("fcn import --help"));
    }

    [Test]
    public void Redirected_progress_is_plain_lines_with_rate_and_no_escape_codes()
    {
        var (model, images, dir) = ModelAndImages();
        var r = FcnProcess.Run("predict", "--model", model, "--input", images, "--output", Path.Combine(dir, "out"));
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdErr, Does.Contain("[1/3] img0: 24x16").And.Contain("images/s"));
        Assert.That(r.StdErr.IndexOfAny(new[] { '\r', '\u001b' }), Is.EqualTo(-1), "no carriage returns or escape codes in a log");
        var evaluate = FcnProcess.Run("evaluate", "--masks", Path.Combine(dir, "masks"), "--predictions", Path.Combine(dir, "out"), "--num-classes", "3");
        Assert.That(evaluate.ExitCode, Is.Zero, evaluate.StdErr);
        Assert.That(evaluate.StdErr, Does.Contain("evaluate: 3/3 images"));
        Assert.That(evaluate.StdErr.IndexOfAny(new[] { '\r', '\u001b' }), Is.EqualTo(-1));
    }

    [Test]
    public void On_a_terminal_progress_is_a_bar_redrawn_in_place()
    {
        if (!File.Exists("/usr/bin/script")) Assert.Ignore("needs script(1) for a pseudo-terminal");
        var (model, images, dir) = ModelAndImages();
        string command = $"dotnet '{FcnProcess.CliDll()}' predict --model '{model}' --input '{images}' --output '{Path.Combine(dir, "tty")}'";
        var psi = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-qefc", command, "/dev/null" }) psi.ArgumentList.Add(a);
        psi.Environment["TERM"] = "xterm";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.That(p.WaitForExit(120_000), "finished");
        Assert.That(p.ExitCode, Is.Zero, stdout.Result);
        Assert.That(stdout.Result, Does.Contain("\rpredict [").And.Contain("3/3 images"), stdout.Result);
        Assert.That(stdout.Result, Does.Not.Contain("[1/3] img0"), "no per-image lines on a terminal");
    }

    private static (string Model, string Images, string Dir) ModelAndImages()
    {
        string dir = TestPaths.NewTempFolder(), images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "masks");
        Directory.CreateDirectory(images);
        for (int i = 0; i < 3; i++)
        {
            var img = TestImage.Random(24, 16, i);
            using (var f = File.Create(Path.Combine(images, $"img{i}.png"))) PngEncoder.WriteRgb8(f, img.Width, img.Height, img.Rgb);
            MaskWriter.WriteIndexPng(Path.Combine(masks, $"img{i}.png"), new LabelMap(img.Width, img.Height, new int[img.Width * img.Height]));
        }
        return (TestFcn.Create(classes: 3, seed: 5).Save(dir), images, dir);
    }
}
