using System.Globalization;
using System.Text.RegularExpressions;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary>Reads what a report page shows: the exact values behind its numbers and its embedded PNGs.</summary>
internal sealed partial class ReportPage(string html)
{
    public string Html { get; } = html;

    /// <summary>The <c>data-value</c> of the metric row <paramref name="id"/>.</summary>
    public double Metric(string id) => Value(Match(Html, $"<tr id=\"{id}\"><td>[^<]*</td><td[^>]*data-value=\"([^\"]+)\""));

    /// <summary>(IU, accuracy, pixel share) of each row of the per-class table.</summary>
    public IReadOnlyList<(string Name, double IU, double Accuracy, double Share)> Classes()
    {
        string table = Match(Html, "<table id=\"classes\">(.*?)</table>");
        return ClassRow().Matches(table).Select(m => (m.Groups[1].Value, Value(m.Groups[2].Value), Value(m.Groups[3].Value), Value(m.Groups[4].Value))).ToList();
    }

    /// <summary>The per-image IU of each example of the gallery section <paramref name="id"/> (worst / best), in order, with its caption name.</summary>
    public IReadOnlyList<(string Name, double IU)> Gallery(string id)
    {
        string section = Match(Html, $"<div id=\"{id}\" class=\"gallery\">\n(.*?)</div>\n(?:<h3>|<p class)");
        return Example().Matches(section).Select(m => (m.Groups[2].Value, Value(m.Groups[1].Value))).ToList();
    }

    /// <summary>The base64 PNGs of the page's &lt;img&gt; elements with class <paramref name="role"/>.</summary>
    public IReadOnlyList<byte[]> Images(string role) =>
        Regex.Matches(Html, $"<img class=\"{role}\"[^>]*src=\"data:image/png;base64,([^\"]+)\"").Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();

    private static double Value(string s) => s == "NaN" ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture);

    private static string Match(string text, string pattern)
    {
        var m = Regex.Match(text, pattern, RegexOptions.Singleline);
        Assert.That(m.Success, $"the page has {pattern}");
        return m.Groups[1].Value;
    }

    [GeneratedRegex("<tr><td>\\d+</td><td class=\"name\">([^<]*)</td><td[^>]*data-value=\"([^\"]+)\"[^>]*>[^<]*</td><td[^>]*data-value=\"([^\"]+)\"[^>]*>[^<]*</td><td[^>]*data-value=\"([^\"]+)\"")]
    private static partial Regex ClassRow();

    [GeneratedRegex("<figure class=\"example\" data-iu=\"([^\"]+)\"><figcaption><b>([^<]*)</b>")]
    private static partial Regex Example();
}
