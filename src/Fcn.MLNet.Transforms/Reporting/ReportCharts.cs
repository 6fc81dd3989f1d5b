using Fcn.MLNet.Evaluation;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// The report's charts as inline SVG, drawn by OxyPlot and written by its <see cref="SvgExporter"/> (managed code only,
/// text set by the browser). Usable on their own, e.g. in a notebook: <c>display(HTML(ReportCharts.PerClassIU(metrics)))</c>.
/// </summary>
public static class ReportCharts
{
    /// <summary>
    /// A horizontal bar chart of IU per class in percent, classes top to bottom in index order, each bar labelled
    /// with its value; a class with no IU (neither present nor predicted) has no bar and the label "n/a".
    /// </summary>
    /// <param name="metrics">The metrics to draw (class names from <see cref="SemanticSegmentationMetrics.ClassNames"/>, else "class i").</param>
    /// <param name="width">Width of the SVG in pixels.</param>
    public static string PerClassIU(SemanticSegmentationMetrics metrics, int width = 640)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        int n = metrics.PerClassIU.Count;
        var model = new PlotModel { Title = "IU per class (%)", TitleFontSize = 14, DefaultFontSize = 11, DefaultFont = Font };
        var classes = new CategoryAxis { Position = AxisPosition.Left, StartPosition = 1, EndPosition = 0, GapWidth = 0.3 };
        var bars = new BarSeries { FillColor = OxyColor.FromRgb(58, 110, 180), LabelPlacement = LabelPlacement.Outside, LabelFormatString = "{0:0.0}", FontSize = 10 };
        for (int i = 0; i < n; i++)
        {
            classes.Labels.Add(ClassName(metrics, i) + (double.IsNaN(metrics.PerClassIU[i]) ? " (n/a)" : ""));
            bars.Items.Add(new BarItem(double.IsNaN(metrics.PerClassIU[i]) ? 0 : 100 * metrics.PerClassIU[i]));
        }
        model.Axes.Add(classes);
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Minimum = 0, Maximum = 105, MajorStep = 20, MinorStep = 5, Title = "IU (%)",
            MajorGridlineStyle = LineStyle.Solid, MajorGridlineColor = OxyColor.FromRgb(225, 225, 225),
        });
        model.Series.Add(bars);
        return Svg(model, width, 80 + 20 * n);
    }

    /// <summary>
    /// The charts' font: text is measured with Helvetica's metrics (no font is loaded), which Arial shares, so labels
    /// and legends fit; browsers without either fall back to a sans-serif face.
    /// </summary>
    public const string Font = "Arial, Helvetica, sans-serif";

    /// <summary>The name of class <paramref name="index"/>: its name in the metrics, or "class i".</summary>
    internal static string ClassName(SemanticSegmentationMetrics metrics, int index) =>
        metrics.ClassNames is { } names && index < names.Count && !string.IsNullOrEmpty(names[index]) ? names[index] : $"class {index}";

    private static int _charts;

    /// <summary>
    /// An OxyPlot model as an SVG element for inline HTML: no XML declaration, text escaped by the exporter, and its
    /// clip-path ids made unique, so several charts can share one page.
    /// </summary>
    public static string Svg(PlotModel model, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(model);
        string svg = SvgExporter.ExportToString(model, width, height, false, new SvgTextMeasurer());
        int start = svg.IndexOf("<svg", StringComparison.Ordinal);
        string prefix = $"oxy{Interlocked.Increment(ref _charts)}-";
        return svg[Math.Max(0, start)..].Replace("id=\"clipPath", $"id=\"{prefix}clipPath", StringComparison.Ordinal)
            .Replace("url(#clipPath", $"url(#{prefix}clipPath", StringComparison.Ordinal);
    }
}
