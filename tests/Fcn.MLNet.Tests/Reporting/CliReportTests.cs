using Fcn.MLNet.Reporting;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary><c>fcn evaluate --report</c> and the report <c>fcn train</c> writes for its validation set, as separate processes.</summary>
public class CliReportTests
{
    private string _dir = "";
    private ChannelDataset _data = null!;

    [OneTimeSetUp]
    public void WriteDataset()
    {
        _dir = TestPaths.NewTempFolder();
        _data = ChannelDataset.Write(_dir);
    }

    private static string[] Files(string folder) => Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).OrderBy(n => n, StringComparer.Ordinal).ToArray()!;

    [Test]
    public void Evaluate_report_holds_the_metrics_of_json_and_a_gallery_with_images()
    {
        string report = Path.Combine(_dir, "eval-report"), json = Path.Combine(_dir, "eval.json");
        var r = FcnProcess.Run("evaluate", "--model", _data.BaseModel, "--images", _data.Images, "--masks", _data.Masks, "--num-classes", "3",
            "--scale", "0.00392157", "--json", json, "--report", report);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdErr, Does.Contain(Path.Combine(report, SegmentationReport.HtmlFileName)));
        Assert.That(Files(report), Is.EqualTo(SegmentationReport.FileNames.Order(StringComparer.Ordinal)), "no temporary file stays");
        Assert.That(File.ReadAllText(Path.Combine(report, SegmentationReport.MetricsFileName)), Is.EqualTo(File.ReadAllText(json)));
        var page = new ReportPage(File.ReadAllText(Path.Combine(report, SegmentationReport.HtmlFileName)));
        var expected = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        Assert.That(page.Metric("meanIU"), Is.EqualTo(expected.GetProperty("meanIU").GetDouble()));
        Assert.That(page.Metric("pixelAccuracy"), Is.EqualTo(expected.GetProperty("pixelAccuracy").GetDouble()));
        Assert.That(page.Images("image"), Has.Count.EqualTo(4), "4 images: the worse 2 and the better 2, each with its image panel");
    }

    [Test]
    public void Evaluate_refuses_a_report_folder_that_is_an_input_or_would_replace_a_report_without_overwrite()
    {
        string preds = Path.Combine(_dir, "preds-for-report");
        Assert.That(FcnProcess.Run("predict", "--model", _data.BaseModel, "--input", _data.Images, "--output", preds).ExitCode, Is.Zero);
        var into = FcnProcess.Run("evaluate", "--masks", _data.Masks, "--predictions", preds, "--num-classes", "3", "--report", _data.Masks);
        Assert.That(into.ExitCode, Is.EqualTo(2));
        Assert.That(into.StdErr, Does.Contain("--report").And.Contain("--masks folder"));
        Assert.That(Files(_data.Masks), Has.None.EqualTo(SegmentationReport.HtmlFileName));

        string report = Path.Combine(_dir, "again-report");
        Assert.That(FcnProcess.Run("evaluate", "--masks", _data.Masks, "--predictions", preds, "--num-classes", "3", "--report", report).ExitCode, Is.Zero);
        string before = File.ReadAllText(Path.Combine(report, SegmentationReport.HtmlFileName));
        Assert.That(before, Does.Contain("truth").And.Not.Contain("class=\"image\""), "--predictions with --masks: truth | prediction panels");
        var again = FcnProcess.Run("evaluate", "--masks", _data.Masks, "--predictions", preds, "--num-classes", "3", "--report", report);
        Assert.That(again.ExitCode, Is.EqualTo(2));
        Assert.That(again.StdErr, Does.Contain("--report").And.Contain("--overwrite"));
        var overwrite = FcnProcess.Run("evaluate", "--masks", _data.Masks, "--predictions", preds, "--num-classes", "3", "--report", report, "--overwrite");
        Assert.That(overwrite.ExitCode, Is.Zero, overwrite.StdErr);
    }

    [Test]
    public void Train_with_a_validation_set_writes_the_report_beside_the_output()
    {
        string output = Path.Combine(_dir, "trained-val.onnx");
        var r = FcnProcess.Run("train", "--model", _data.BaseModel, "--images", _data.Images, "--masks", _data.Masks, "--num-classes", "3",
            "--output", output, "--iterations", "4", "--lr", "0.02", "--scale", "0.00392157", "--val-images", _data.Images, "--val-masks", _data.Masks);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr + r.StdOut);
        string report = Path.Combine(_dir, "trained-val-report");
        Assert.That(r.StdOut, Does.Contain(Path.Combine(report, SegmentationReport.HtmlFileName)));
        Assert.That(Files(report), Is.EqualTo(SegmentationReport.FileNames.Order(StringComparer.Ordinal)));
        var page = new ReportPage(File.ReadAllText(Path.Combine(report, SegmentationReport.HtmlFileName)));
        double logged = double.Parse(System.Text.RegularExpressions.Regex.Match(r.StdOut, @"validation mean IU ([0-9.]+)\)").Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(page.Metric("meanIU"), Is.EqualTo(logged).Within(5e-5), "the report scores the model the last validation scored");
        Assert.That(page.Html, Does.Contain("<h2>Training curves</h2>").And.Contain("Validation IU per class"), "with the training curves");

        var noValidation = FcnProcess.Run("train", "--model", _data.BaseModel, "--images", _data.Images, "--masks", _data.Masks, "--num-classes", "3",
            "--output", Path.Combine(_dir, "x.onnx"), "--report", Path.Combine(_dir, "x-report"));
        Assert.That(noValidation.ExitCode, Is.EqualTo(2));
        Assert.That(noValidation.StdErr, Does.Contain("--report needs a validation set"));
    }
}
