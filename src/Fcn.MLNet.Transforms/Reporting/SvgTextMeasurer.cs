using OxyPlot;

namespace Fcn.MLNet.Reporting;

/// <summary>
/// Measures text for OxyPlot's <see cref="SvgExporter"/>. Its default measurer (<see cref="PdfRenderContext"/>, Helvetica
/// metrics, no native code) answers in points while the SVG's font sizes are pixels, so every label came out 3/4 of
/// its drawn size and legends, axis titles and category labels overlapped or were clipped: this scales by 96/72.
/// It only measures; the exporter draws.
/// </summary>
internal sealed class SvgTextMeasurer : RenderContextBase
{
    private const double PixelsPerPoint = 96.0 / 72.0;
    private readonly PdfRenderContext _pdf = new(100, 100, OxyColors.White);

    public override OxySize MeasureText(string text, string fontFamily, double fontSize, double fontWeight)
    {
        var size = _pdf.MeasureText(text, fontFamily, fontSize, fontWeight);
        return new OxySize(size.Width * PixelsPerPoint, size.Height * PixelsPerPoint);
    }

    public override int ClipCount => 0;

    public override void DrawLine(IList<ScreenPoint> points, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode,
        double[]? dashArray, LineJoin lineJoin) => throw new NotSupportedException("measures only");

    public override void DrawPolygon(IList<ScreenPoint> points, OxyColor fill, OxyColor stroke, double thickness, EdgeRenderingMode edgeRenderingMode,
        double[]? dashArray, LineJoin lineJoin) => throw new NotSupportedException("measures only");

    public override void DrawText(ScreenPoint p, string text, OxyColor fill, string fontFamily, double fontSize, double fontWeight, double rotation,
        HorizontalAlignment halign, VerticalAlignment valign, OxySize? maxSize) => throw new NotSupportedException("measures only");

    public override void PopClip() { }

    public override void PushClip(OxyRect clippingRectangle) { }
}
