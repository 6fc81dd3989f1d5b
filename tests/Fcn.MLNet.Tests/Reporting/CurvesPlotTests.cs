using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.MLNet;
using Fcn.MLNet.Training.Reporting;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary>training-curves.png drawn by OxyPlot through OxyPlot.SkiaSharp on the SkiaSharp 2.88 that ImageAnalytics uses.</summary>
public class CurvesPlotTests
{
    private static TrainingHistory History()
    {
        var rng = new Random(5);
        var history = new TrainingHistory();
        for (int i = 1; i <= 120; i++)
            history.Losses.Add(new LossPoint(i <= 60 ? "Fcn32s" : "Fcn16s", i, 2 * Math.Exp(-i / 40.0) + 0.2 * rng.NextDouble(), 1e-3 * Math.Pow(1 - i / 121.0, 0.9)));
        for (int e = 1; e <= 6; e++)
            history.Validation.Add(new ValidationPoint(e <= 3 ? "Fcn32s" : "Fcn16s", e, 0.1 * e, new double?[] { 0.15 * e, 0.05 * e, e == 2 ? null : 0.1 * e }));
        return history;
    }

    private static int Count(PngImage png, (int R, int G, int B) color, int x0, int y0, int x1, int y1)
    {
        int channels = png.Samples.Length / (png.Width * png.Height), n = 0;
        for (int y = y0; y < y1; y++)
            for (int x = x0; x < x1; x++)
            {
                int s = channels * (y * png.Width + x);
                if (Math.Abs(png.Samples[s] - color.R) < 30 && Math.Abs(png.Samples[s + 1] - color.G) < 30 && Math.Abs(png.Samples[s + 2] - color.B) < 30) n++;
            }
        return n;
    }

    [Test]
    public void Curves_render_to_a_png_of_four_panels_with_the_lines_drawn()
    {
        string path = Path.Combine(TestPaths.NewTempFolder(), CurvesPlot.FileName);
        CurvesPlot.Write(path, History(), new[] { "road", "sky", "car" });
        var png = PngDecoder.Decode(path);
        int w = CurvesPlot.PanelWidth, h = CurvesPlot.PanelHeight;
        Assert.That((png.Width, png.Height), Is.EqualTo((2 * w, 2 * h)));
        Assert.That(Count(png, (30, 90, 200), 0, 0, w, h), Is.GreaterThan(200), "the moving average of the loss (top left)");
        Assert.That(Count(png, (60, 140, 60), w, 0, 2 * w, h), Is.GreaterThan(200), "the learning rate (top right)");
        Assert.That(Count(png, (230, 120, 20), 0, h, w, 2 * h), Is.GreaterThan(200), "validation mean IU (bottom left)");
        Assert.That(Count(png, (0, 0, 0), w, h, 2 * w, 2 * h), Is.GreaterThan(500), "axes, ticks, labels and legend text (bottom right)");
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(path)!), Has.Length.EqualTo(1), "written atomically, no temporary file left");
    }

    [Test]
    public void Curves_as_svg_name_every_class_in_the_legend_and_escape_names()
    {
        string svg = CurvesPlot.Svg(History(), new[] { "road", "<b>sky</b>", "car & bus" });
        Assert.That(System.Text.RegularExpressions.Regex.Matches(svg, "<svg").Count, Is.EqualTo(4), "four panels");
        Assert.That(svg, Does.Contain("road").And.Contain("&lt;b&gt;sky&lt;/b&gt;").And.Contain("car &amp; bus"));
        Assert.That(svg, Does.Contain("moving average").And.Contain("Learning rate").And.Contain("Validation mean IU").And.Contain("Fcn16s"));
        Assert.That(svg, Does.Not.Contain("<?xml"));
    }

    [Test]
    public void A_history_from_an_older_checkpoint_without_learning_rates_or_class_IU_still_draws()
    {
        // The history as an older checkpoint's state.json holds it: no learning rate, no per-class IU.
        var history = System.Text.Json.JsonSerializer.Deserialize<TrainingHistory>(
            """{"Losses":[{"Stage":"Fcn8s","Iteration":1,"Loss":1.0},{"Stage":"Fcn8s","Iteration":2,"Loss":0.5}],"Validation":[{"Stage":"Fcn8s","Epoch":1,"MeanIU":0.5}]}""")!;
        Assert.That(history.Losses[1], Is.EqualTo(new LossPoint("Fcn8s", 2, 0.5)));
        Assert.That(history.Validation[0].PerClassIU, Is.Null);
        history.Losses.Add(new LossPoint("Fcn8s", 3, double.NaN));
        string path = Path.Combine(TestPaths.NewTempFolder(), CurvesPlot.FileName);
        CurvesPlot.Write(path, history);
        Assert.That(PngDecoder.Decode(path).Width, Is.EqualTo(2 * CurvesPlot.PanelWidth));
        Assert.That(CurvesPlot.Svg(new TrainingHistory()), Does.Contain("not recorded").And.Contain("no validation set"));
    }
}
