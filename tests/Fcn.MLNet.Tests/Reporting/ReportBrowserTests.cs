using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary>
/// The report in a real headless browser (Debian's <c>chromium</c>; .ci/run installs it): it renders, every image
/// decodes, the chart and tables are laid out, and the console stays clean. Skipped only where no chromium is installed.
/// </summary>
public class ReportBrowserTests
{
    /// <summary>
    /// Put first in a copy of the page (the report itself has no script): records load errors and, once loaded, writes
    /// what the browser made of the page into a &lt;pre id="probe"&gt; that --dump-dom then shows.
    /// </summary>
    private const string Probe = """
        <script>
        var probeErrors = [];
        window.addEventListener('error', function (e) { probeErrors.push(e.message || ('failed to load ' + (e.target && (e.target.src || e.target.tagName)))); }, true);
        window.addEventListener('load', function () {
          var images = [].slice.call(document.images);
          var svg = document.querySelector('#iu-chart svg');
          var p = document.createElement('pre');
          p.id = 'probe';
          p.textContent = JSON.stringify({
            images: images.length,
            decoded: images.filter(function (i) { return i.complete && i.naturalWidth > 0 && i.getBoundingClientRect().width > 0; }).length,
            chartWidth: svg ? Math.round(svg.getBoundingClientRect().width) : 0,
            bars: svg ? svg.querySelectorAll('rect').length : 0,
            classRows: document.querySelectorAll('#classes tr').length,
            heatCells: document.querySelectorAll('#confusion td').length,
            scripts: document.scripts.length,
            errors: probeErrors
          });
          document.body.appendChild(p);
        });
        </script>
        """;

    private static string? Chromium() =>
        new[] { "chromium", "chromium-browser", "google-chrome" }
            .SelectMany(name => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(dir => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    [Test]
    public void The_report_renders_in_headless_chromium_with_its_images_and_charts_and_no_console_errors()
    {
        string? chromium = Chromium();
        if (chromium is null) Assert.Ignore("chromium is not installed (apt-get install chromium; .ci/run does): the browser check is skipped");
        string dir = TestPaths.NewTempFolder();
        var data = ReportData.Write(dir, count: 5);
        var options = new SegmentationReportOptions { Folder = Path.Combine(dir, "report"), ImagesFolder = data.Images, GalleryImages = 2 };
        new MLContext().SemanticSegmentation().EvaluateFoldersWithReport(data.Masks, data.Predictions, ReportData.Classes, options,
            classNames: new[] { "road", "<script>alert(1)</script>", "sky" });
        string page = Path.Combine(options.Folder, SegmentationReport.HtmlFileName);
        string html = File.ReadAllText(page);
        string probed = Path.Combine(dir, "probed.html");
        File.WriteAllText(probed, html.Replace("<head>\n", "<head>\n" + Probe, StringComparison.Ordinal));

        var (dom, log) = Run(chromium!, dir, "--virtual-time-budget=5000", "--dump-dom", new Uri(probed).AbsoluteUri);
        var match = Regex.Match(dom, "<pre id=\"probe\">([^<]*)</pre>");
        Assert.That(match.Success, $"the page loaded and the probe ran:\n{log}");
        var probe = JsonDocument.Parse(System.Net.WebUtility.HtmlDecode(match.Groups[1].Value)).RootElement;
        TestContext.Out.WriteLine(probe.ToString());
        Assert.That(probe.GetProperty("images").GetInt32(), Is.EqualTo(4 * 3), "2 worst + 2 best, image | truth | prediction");
        Assert.That(probe.GetProperty("decoded").GetInt32(), Is.EqualTo(12), "every embedded PNG decodes and is laid out");
        Assert.That(probe.GetProperty("chartWidth").GetInt32(), Is.GreaterThan(300), "the IU chart is drawn");
        Assert.That(probe.GetProperty("bars").GetInt32(), Is.GreaterThanOrEqualTo(3));
        Assert.That(probe.GetProperty("classRows").GetInt32(), Is.EqualTo(1 + 3));
        Assert.That(probe.GetProperty("heatCells").GetInt32(), Is.EqualTo(3 * 3));
        Assert.That(probe.GetProperty("scripts").GetInt32(), Is.EqualTo(1), "only the probe: the class named <script> did not inject one");
        Assert.That(probe.GetProperty("errors").GetArrayLength(), Is.Zero, probe.GetProperty("errors").ToString());
        Assert.That(log.Split('\n').Where(l => l.Contains("CONSOLE", StringComparison.Ordinal) || l.Contains("Uncaught", StringComparison.Ordinal)), Is.Empty,
            "no console message");

        // The page as a person sees it: a screenshot of the unmodified report is not blank.
        string shot = Path.Combine(dir, "report.png");
        Run(chromium!, dir, "--hide-scrollbars", "--window-size=1200,1600", $"--screenshot={shot}", new Uri(page).AbsoluteUri);
        var png = PngDecoder.Decode(shot);
        int channels = png.Samples.Length / (png.Width * png.Height);
        int inked = 0;
        for (int p = 0; p < png.Width * png.Height; p++)
            if (png.Samples[channels * p] < 200 || png.Samples[channels * p + 1] < 200) inked++;
        Assert.That(inked, Is.GreaterThan(png.Width * png.Height / 50), "text, tables, chart and images are drawn");
    }

    private static (string StdOut, string StdErr) Run(string chromium, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo(chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run", "--disable-extensions", "--enable-logging=stderr", "--v=0",
                     $"--user-data-dir={Path.Combine(dir, "chromium-profile")}" }.Concat(args))
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish in 120 s");
        }
        Assert.That(p.ExitCode, Is.Zero, stderr.Result);
        return (stdout.Result, stderr.Result);
    }
}
