using System.Text.Json;
using Fcn.MLNet.Data;
using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary>The evaluation report: index.html and metrics.json agree with the evaluator, names are escaped, files land atomically.</summary>
public class SegmentationReportTests
{
    private static readonly string[] Names = { "road", "sky & cloud", "<script>alert(1)</script>" };

    [Test]
    public void Metrics_in_the_html_equal_metrics_json_equal_the_evaluator()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir);
        var ml = new MLContext();
        var expected = ml.SemanticSegmentation().EvaluateFolders(data.Masks, data.Predictions, ReportData.Classes, classNames: Names);
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), ImagesFolder = data.Images, GalleryImages = 2 };
        var metrics = ml.SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options, classNames: Names);

        Assert.That(metrics.ToJson(), Is.EqualTo(expected.ToJson()), "the report's evaluation is the evaluator's");
        Assert.That(File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.MetricsFileName)), Is.EqualTo(expected.ToJson()));
        var page = new ReportPage(File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.HtmlFileName)));
        Assert.That(page.Metric("pixelAccuracy"), Is.EqualTo(expected.PixelAccuracy));
        Assert.That(page.Metric("meanAccuracy"), Is.EqualTo(expected.MeanAccuracy));
        Assert.That(page.Metric("meanIU"), Is.EqualTo(expected.MeanIU));
        Assert.That(page.Metric("frequencyWeightedIU"), Is.EqualTo(expected.FrequencyWeightedIU));
        var classes = page.Classes();
        Assert.That(classes.Select(c => c.IU), Is.EqualTo(expected.PerClassIU));
        Assert.That(classes.Select(c => c.Accuracy), Is.EqualTo(expected.PerClassAccuracy));
        var cm = expected.ConfusionMatrix;
        Assert.That(classes.Select(c => c.Share), Is.EqualTo(Enumerable.Range(0, 3).Select(i => (double)cm.TruthCount(i) / cm.Total)));
        Assert.That(page.Html, Does.Contain("<table id=\"confusion\"").And.Contain("<svg"), "heatmap table and IU chart");
    }

    [Test]
    public void The_gallery_holds_the_worst_and_best_images_by_per_image_IU_from_the_metrics_code()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 7);
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), ImagesFolder = data.Images, GalleryImages = 2, ThumbnailWidth = 16 };
        new MLContext().SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options);
        var page = new ReportPage(File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.HtmlFileName)));

        double ImageIU(int i)
        {
            var one = new SegmentationConfusionMatrix(ReportData.Classes);
            one.Add(MaskReader.Read(Path.Combine(data.Masks, $"r{i}.png")).Labels, MaskReader.Read(Path.Combine(data.Predictions, $"r{i}.png")).Labels);
            return one.ToMetrics().MeanIU;
        }
        Assert.That(page.Gallery("worst"), Is.EqualTo(new[] { ("r6.png", ImageIU(6)), ("r5.png", ImageIU(5)) }), "worst first");
        Assert.That(page.Gallery("best"), Is.EqualTo(new[] { ("r0.png", ImageIU(0)), ("r1.png", ImageIU(1)) }), "best first");
        foreach (var role in new[] { "image", "truth", "prediction" })
        {
            var panels = page.Images(role);
            Assert.That(panels, Has.Count.EqualTo(4), role);
            foreach (var png in panels)
                Assert.That(PngDecoder.Decode(new MemoryStream(png)).Width, Is.EqualTo(16), $"{role} panels are thumbnails no wider than ThumbnailWidth");
        }
    }

    [Test]
    public void Scored_rows_give_the_report_with_images_from_the_image_path_column()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 3);
        var ml = new MLContext();
        var fcn = TestFcn.Create(classes: ReportData.Classes, seed: 4);
        var rows = ml.SemanticSegmentation().LoadFiles(FilePairs.Pair(data.Images, data.Masks));
        using var model = Scoring.SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = fcn.Bytes });
        var scored = model.Transform(rows);
        var expected = ml.SemanticSegmentation().Evaluate(scored, ReportData.Classes);
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), GalleryImages = 1 };
        var metrics = ml.SemanticSegmentation().EvaluateWithReport(scored, ReportData.Classes, options);
        Assert.That(metrics.ToJson(), Is.EqualTo(expected.ToJson()));
        var page = new ReportPage(File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.HtmlFileName)));
        Assert.That(page.Metric("meanIU"), Is.EqualTo(expected.MeanIU));
        Assert.That(page.Images("image"), Has.Count.EqualTo(2), "1 worst + 1 best, each with its image panel");
        Assert.That(page.Gallery("worst").Concat(page.Gallery("best")).Select(g => g.Name).Distinct().Count(), Is.EqualTo(2));
    }

    [Test]
    public void Class_and_file_names_are_html_encoded()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 2, name: i => $"a<b>&{i}");
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), ImagesFolder = data.Images, Title = "<title> & co" };
        new MLContext().SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options, classNames: Names);
        string html = File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.HtmlFileName));
        Assert.That(html, Does.Not.Contain("<script").IgnoreCase, "no class name injects a script");
        Assert.That(html, Does.Not.Contain("a<b>"));
        Assert.That(html, Does.Contain("&lt;script&gt;alert(1)&lt;/script&gt;").And.Contain("sky &amp; cloud").And.Contain("a&lt;b&gt;&amp;0.png"));
        Assert.That(html, Does.Contain("<h1>&lt;title&gt; &amp; co</h1>"));
    }

    [Test]
    public void Writes_land_atomically_and_leave_only_the_report_files()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 2);
        string folder = Path.Combine(dir, "report");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, SegmentationReport.HtmlFileName), "old");
        var ml = new MLContext();
        var options = new SegmentationReportOptions { Folder = folder };
        var metrics = ml.SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options);
        Assert.That(Directory.GetFileSystemEntries(folder).Select(Path.GetFileName), Is.EquivalentTo(SegmentationReport.FileNames), "no temporary file stays");
        Assert.That(File.ReadAllText(Path.Combine(folder, SegmentationReport.HtmlFileName)), Does.StartWith("<!DOCTYPE html>"));

        // Write without a gallery (own metrics, e.g. from a notebook): same files, no gallery section.
        string plain = SegmentationReport.Write(metrics, new SegmentationReportOptions { Folder = Path.Combine(dir, "plain") });
        Assert.That(Directory.GetFileSystemEntries(Path.Combine(dir, "plain")).Select(Path.GetFileName), Is.EquivalentTo(SegmentationReport.FileNames));
        Assert.That(File.ReadAllText(plain), Does.Not.Contain("Gallery"));
        Assert.That(JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "plain", SegmentationReport.MetricsFileName))).RootElement.GetProperty("meanIU").GetDouble(),
            Is.EqualTo(metrics.MeanIU));
    }

    [Test]
    public void An_image_the_gallery_cannot_read_is_named_and_the_report_still_written()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 2);
        File.WriteAllText(Path.Combine(data.Images, "r0.png"), "not an image");
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), ImagesFolder = data.Images, GalleryImages = 1 };
        new MLContext().SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options);
        var page = new ReportPage(File.ReadAllText(Path.Combine(options.Folder, SegmentationReport.HtmlFileName)));
        Assert.That(page.Html, Does.Contain("image could not be read"));
        Assert.That(page.Images("image"), Has.Count.EqualTo(1), "r1's picture is still shown");
        Assert.That(page.Images("truth"), Has.Count.EqualTo(2));
    }

    [TestCase(nameof(SegmentationReportOptions.GalleryImages), -1)]
    [TestCase(nameof(SegmentationReportOptions.GalleryImages), 101)]
    [TestCase(nameof(SegmentationReportOptions.ThumbnailWidth), 641)]
    [TestCase(nameof(SegmentationReportOptions.ThumbnailWidth), 8)]
    [TestCase(nameof(SegmentationReportOptions.Folder), 0)]
    public void Options_out_of_range_are_refused_before_anything_is_scored(string setting, int value)
    {
        string dir = TestPaths.NewTempFolder();
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report") };
        if (setting == nameof(SegmentationReportOptions.Folder)) options.Folder = " ";
        else typeof(SegmentationReportOptions).GetProperty(setting)!.SetValue(options, value);
        var e = Assert.Throws(Is.InstanceOf<ArgumentException>(), () => new MLContext().SemanticSegmentation()
            .EvaluateFoldersWithReport(Path.Combine(dir, "no-masks"), Path.Combine(dir, "no-predictions"), 3, options));
        Assert.That(e!.Message, Does.Contain(setting));
        Assert.That(Directory.Exists(Path.Combine(dir, "report")), Is.False);
    }

    [Test]
    public void The_per_class_chart_is_svg_with_a_bar_per_class_named_and_escaped()
    {
        var cm = new SegmentationConfusionMatrix(3);
        cm.Add(new[] { 0, 0, 1, 1 }, new[] { 0, 1, 1, 1 });
        string svg = ReportCharts.PerClassIU(cm.ToMetrics(Names));
        Assert.That(svg, Does.StartWith("<svg").And.Contain("road").And.Contain("&lt;script&gt;"));
        Assert.That(svg, Does.Not.Contain("<script"));
    }
}
