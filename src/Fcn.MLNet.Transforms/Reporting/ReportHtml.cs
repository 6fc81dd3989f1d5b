using System.Globalization;
using System.Net;
using System.Text;
using Fcn.MLNet.Evaluation;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// The report page: one self-contained HTML file (inline CSS, charts as inline SVG, images as <c>data:</c> PNG URIs;
/// no script, no external file). Every name from the data is HTML-encoded. Each number shown also carries its exact
/// value in a <c>data-value</c> attribute, so tools (and tests) read what the page shows without parsing rounded text.
/// </summary>
internal static class ReportHtml
{
    public static string Build(SemanticSegmentationMetrics metrics, ReportGallery? gallery, SegmentationReportOptions options)
    {
        var m = metrics;
        var cm = m.ConfusionMatrix;
        var h = new StringBuilder();
        h.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>").Append(E(options.Title)).Append("</title>\n<style>\n")
         .Append(Css).Append("</style>\n</head>\n<body>\n<h1>").Append(E(options.Title)).Append("</h1>\n");
        h.Append("<p class=\"note\">").Append(gallery is null ? "" : $"{gallery.Seen} image(s), ")
         .Append(Inv($"{cm.Total:N0} scored pixel(s), {cm.Ignored:N0} ignored; {cm.NumberOfClasses} classes. "))
         .Append("Metrics of the FCN paper (Long et al., Section 5) over one confusion matrix for the whole set.</p>\n");

        h.Append("<h2>Metrics</h2>\n<table id=\"metrics\" class=\"metrics\">\n<tr><th>metric</th><th>%</th></tr>\n");
        Row(h, "pixelAccuracy", "pixel accuracy", m.PixelAccuracy);
        Row(h, "meanAccuracy", "mean accuracy", m.MeanAccuracy);
        Row(h, "meanIU", "mean IU", m.MeanIU);
        Row(h, "frequencyWeightedIU", "frequency weighted IU", m.FrequencyWeightedIU);
        h.Append("</table>\n");

        h.Append("<h2>Per class</h2>\n<div class=\"side\">\n<table id=\"classes\">\n<tr><th>#</th><th>class</th><th>IU %</th><th>accuracy %</th><th>pixel share %</th></tr>\n");
        for (int i = 0; i < cm.NumberOfClasses; i++)
        {
            double share = cm.Total > 0 ? (double)cm.TruthCount(i) / cm.Total : double.NaN;
            h.Append("<tr><td>").Append(i).Append("</td><td class=\"name\">").Append(E(ReportCharts.ClassName(m, i))).Append("</td>")
             .Append(Cell(m.PerClassIU[i])).Append(Cell(m.PerClassAccuracy[i])).Append(Cell(share)).Append("</tr>\n");
        }
        h.Append("</table>\n<figure id=\"iu-chart\">").Append(ReportCharts.PerClassIU(m)).Append("</figure>\n</div>\n");
        h.Append("<p class=\"note\">n/a: a class with no ground-truth pixels has no accuracy, and one neither present nor predicted has no IU; " +
                 "both drop out of the means, as in the reference <code>score.py</code>. Pixel share: the class's share of scored ground-truth pixels.</p>\n");

        Heatmap(h, m);
        foreach (var figure in options.Figures)
            h.Append("<h2>").Append(E(figure.Title)).Append("</h2>\n<figure class=\"figures\">").Append(figure.Svg).Append("</figure>\n");
        if (gallery is not null) Gallery(h, gallery, options);
        h.Append("<p class=\"note\">Written by Fcn.MLNet. The numbers are also in <code>").Append(SegmentationReport.MetricsFileName).Append("</code>.</p>\n</body>\n</html>\n");
        return h.ToString();
    }

    private static void Heatmap(StringBuilder h, SemanticSegmentationMetrics m)
    {
        var cm = m.ConfusionMatrix;
        int n = cm.NumberOfClasses;
        h.Append("<h2>Confusion matrix</h2>\n<p class=\"note\">Rows: true class; columns: predicted class; each row divided by its class's ground-truth pixels " +
                 "(the diagonal is per-class accuracy). Hover a cell for the pixel count.</p>\n<div class=\"scroll\"><table id=\"confusion\" class=\"heat\">\n<tr><th>true \\ predicted</th>");
        for (int j = 0; j < n; j++) h.Append("<th class=\"col\"><span>").Append(E(ReportCharts.ClassName(m, j))).Append("</span></th>");
        h.Append("</tr>\n");
        for (int i = 0; i < n; i++)
        {
            long t = cm.TruthCount(i);
            h.Append("<tr><th class=\"name\">").Append(E(ReportCharts.ClassName(m, i))).Append("</th>");
            for (int j = 0; j < n; j++)
            {
                double v = t > 0 ? (double)cm[i, j] / t : 0;
                int shade = (int)Math.Round(255 - 200 * v);
                h.Append(Inv($"<td data-value=\"{R(t > 0 ? v : double.NaN)}\" title=\"{cm[i, j]:N0} px\" style=\"background:rgb({shade},{(int)Math.Round(255 - 150 * v)},255);color:{(v > 0.55 ? "#fff" : "#222")}\">"))
                 .Append(t > 0 && v >= 0.0005 ? Inv($"{100 * v:F1}") : "").Append("</td>");
            }
            h.Append("</tr>\n");
        }
        h.Append("</table></div>\n");
    }

    private static void Gallery(StringBuilder h, ReportGallery gallery, SegmentationReportOptions options)
    {
        h.Append("<h2>Gallery</h2>\n<p class=\"note\">Per-image IU: the mean IU over the classes present in that image's ground truth or prediction " +
                 "(ignored pixels left out), from the same confusion-matrix code as the metrics above. Panels: image | truth | prediction, " +
                 Inv($"at most {options.ThumbnailWidth} px wide."));
        if (gallery.Worst.Concat(gallery.Best).All(e => e.Image is null))
            h.Append(" No image files were given with the masks and predictions, so the panels are truth | prediction.");
        if (gallery.Unscored > 0) h.Append(Inv($" {gallery.Unscored} image(s) with every pixel ignored have no IU and are left out."));
        h.Append("</p>\n");
        Section(h, "worst", $"Worst {gallery.Worst.Count}", gallery.Worst);
        Section(h, "best", $"Best {gallery.Best.Count}", gallery.Best);
    }

    private static void Section(StringBuilder h, string id, string title, IReadOnlyList<GalleryEntry> entries)
    {
        h.Append("<h3>").Append(title).Append("</h3>\n<div id=\"").Append(id).Append("\" class=\"gallery\">\n");
        foreach (var e in entries)
        {
            h.Append(Inv($"<figure class=\"example\" data-iu=\"{R(e.MeanIU)}\"><figcaption><b>")).Append(E(e.Name))
             .Append(Inv($"</b> IU {100 * e.MeanIU:F1} %, pixel acc. {100 * e.PixelAccuracy:F1} %")).Append(e.Size is { } s ? Inv($", {s.Width}x{s.Height}") : "")
             .Append(e.Note is { } note ? " <i>" + E(note) + "</i>" : "").Append("</figcaption>\n<div class=\"panels\">");
            Panel(h, e.Image, "image", e.Name);
            Panel(h, e.Truth, "truth", e.Name);
            Panel(h, e.Prediction, "prediction", e.Name);
            h.Append("</div></figure>\n");
        }
        h.Append("</div>\n");
    }

    private static void Panel(StringBuilder h, byte[]? png, string role, string name)
    {
        if (png is null) return;
        h.Append("<div class=\"panel\"><img class=\"").Append(role).Append("\" alt=\"").Append(E(role + " " + name)).Append("\" src=\"data:image/png;base64,")
         .Append(Convert.ToBase64String(png)).Append("\"><span>").Append(role).Append("</span></div>");
    }

    private static void Row(StringBuilder h, string id, string label, double value) =>
        h.Append("<tr id=\"").Append(id).Append("\"><td>").Append(label).Append("</td>").Append(Cell(value)).Append("</tr>\n");

    private static string Cell(double v) => double.IsNaN(v)
        ? "<td class=\"num na\" data-value=\"NaN\">n/a</td>"
        : Inv($"<td class=\"num\" data-value=\"{R(v)}\">{100 * v:F1}</td>");

    private static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    private static string E(string s) => WebUtility.HtmlEncode(s);

    private const string Css = """
        body { font-family: sans-serif; margin: 24px; color: #222; max-width: 1400px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; margin-top: 28px; border-bottom: 1px solid #ddd; } h3 { font-size: 15px; }
        table { border-collapse: collapse; font-size: 13px; }
        th, td { border: 1px solid #ddd; padding: 3px 8px; }
        th { background: #f3f3f3; text-align: left; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; } td.na { color: #999; }
        table.metrics td.num { font-weight: bold; font-size: 15px; }
        .figures { display: flex; flex-wrap: wrap; gap: 8px; max-width: 1300px; } .side { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; } figure { margin: 0; }
        .note { color: #555; font-size: 13px; max-width: 900px; }
        .scroll { overflow: auto; max-width: 100%; }
        table.heat td { min-width: 34px; text-align: right; font-size: 11px; padding: 2px 4px; }
        table.heat th.col { vertical-align: bottom; } table.heat th.col span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; }
        .gallery figure.example { margin: 10px 0 18px; } figcaption { font-size: 13px; margin-bottom: 4px; }
        .panels { display: flex; gap: 6px; flex-wrap: wrap; } .panel { display: flex; flex-direction: column; align-items: center; font-size: 11px; color: #666; }
        .panel img { image-rendering: pixelated; border: 1px solid #ccc; min-width: 96px; }

        """;
}
