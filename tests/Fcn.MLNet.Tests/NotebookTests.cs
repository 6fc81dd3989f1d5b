using System.Diagnostics;
using System.Text.Json;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;

namespace Fcn.MLNet.Tests;

/// <summary>samples/notebooks runs headless with dotnet-repl (a local tool: <c>dotnet tool restore</c>), so it cannot rot.</summary>
public class NotebookTests
{
    [Test]
    public void Batch_scoring_notebook_runs_headless_and_reports_metrics()
    {
        string dir = TestPaths.NewTempFolder(), images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "masks");
        Directory.CreateDirectory(images);
        var fcn = TestFcn.Create(classes: 3, seed: 3, classNames: new[] { "red", "green", "blue" });
        for (int i = 0; i < 3; i++)
        {
            var img = TestImage.Random(20 + i, 16, i);
            using (var f = File.Create(Path.Combine(images, $"n{i}.png"))) PngEncoder.WriteRgb8(f, img.Width, img.Height, img.Rgb);
            MaskWriter.WriteIndexPng(Path.Combine(masks, $"n{i}.png"), new LabelMap(img.Width, img.Height, new int[img.Width * img.Height]));
        }
        var ml = new MLContext();
        string zip = Path.Combine(dir, "model.zip");
        using (var model = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = fcn.Bytes }))
            ml.Model.Save(model, ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema, zip);

        // The notebook references the Release build; point it at this test run's build of the library.
        string root = FcnProcess.RepoRoot();
        string config = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name;
        string library = Path.Combine(root, "src", "Fcn.MLNet.Transforms", "bin", config, "net10.0", "Fcn.MLNet.Transforms.dll");
        string training = Path.Combine(root, "src", "Fcn.MLNet.Training", "bin", config, "net10.0", "Fcn.MLNet.Training.dll");
        string notebook = Path.Combine(dir, "segment-folder.ipynb");
        File.WriteAllText(notebook, File.ReadAllText(Path.Combine(root, "samples", "notebooks", "segment-folder.ipynb"))
            .Replace("../../src/Fcn.MLNet.Transforms/bin/Release/net10.0/Fcn.MLNet.Transforms.dll", library)
            .Replace("../../src/Fcn.MLNet.Training/bin/Release/net10.0/Fcn.MLNet.Training.dll", training));

        // A checkpoint whose history the curves cell draws.
        string checkpoints = Path.Combine(dir, "checkpoints");
        Directory.CreateDirectory(checkpoints);
        var history = new TrainingHistory();
        for (int i = 1; i <= 8; i++) history.Losses.Add(new LossPoint("Fcn8s", i, 1.0 / i, 1e-3));
        for (int e = 1; e <= 2; e++) history.Validation.Add(new ValidationPoint("Fcn8s", e, 0.3 * e, new double?[] { 0.2 * e, 0.3 * e, null }));
        new FcnCheckpoint { Stage = FcnArchitecture.Fcn8s, Epoch = 2, Model = fcn.Bytes, EngineState = Array.Empty<byte>(), History = history }.Save(checkpoints);

        var psi = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "dotnet-repl", "--run", notebook, "--exit-after-run", "--output-path", Path.Combine(dir, "out.ipynb") }) psi.ArgumentList.Add(a);
        psi.Environment["FCN_MODEL"] = zip;
        psi.Environment["FCN_IMAGES"] = images;
        psi.Environment["FCN_MASKS"] = masks;
        psi.Environment["FCN_CHECKPOINTS"] = checkpoints;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.That(p.WaitForExit(300_000), "dotnet-repl finished within 5 minutes");
        Assert.That(p.ExitCode, Is.Zero, $"dotnet-repl failed (run `dotnet tool restore` first):\n{stderr.Result}\n{stdout.Result[^Math.Min(2000, stdout.Result.Length)..]}");

        var outputs = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "out.ipynb"))).RootElement.GetProperty("cells").EnumerateArray()
            .SelectMany(c => c.TryGetProperty("outputs", out var o) ? o.EnumerateArray() : Enumerable.Empty<JsonElement>()).ToList();
        Assert.That(outputs.Where(o => o.GetProperty("output_type").GetString() == "error"), Is.Empty, "no cell failed");
        string text = string.Join("\n", outputs.Select(o => o.ToString()));
        Assert.That(text, Does.Contain("model.zip: 3 classes (red, green, blue); 3 images"));
        Assert.That(text, Does.Contain("mean IU").And.Contain("3 overlays written"));
        Assert.That(text, Does.Contain("IU per class (%)").And.Contain("report written to"), "the per-class IU chart inline, and the report");
        Assert.That(File.Exists(Path.Combine(Path.GetTempPath(), "fcn-notebook-report", "index.html")));
        Assert.That(text, Does.Contain("Validation IU per class").And.Contain("curves of 8 iterations and 2 validation epochs"), "the training curves inline");
    }
}
