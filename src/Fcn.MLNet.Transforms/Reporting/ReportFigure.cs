namespace Fcn.MLNet.Reporting;

/// <summary>
/// A chart for a report page: a heading (HTML-encoded when written) and inline SVG markup (written as is, so it must
/// come from code you trust, e.g. <see cref="ReportCharts.Svg"/>).
/// </summary>
/// <param name="Title">The heading above the chart.</param>
/// <param name="Svg">One or more &lt;svg&gt; elements.</param>
public sealed record ReportFigure(string Title, string Svg);
