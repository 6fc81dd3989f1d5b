using System.Globalization;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.MLNet;

namespace Fcn.MLNet.Training.Reporting;

/// <summary>
/// Draws the training curves as a PNG: loss per iteration (raw in light grey, a moving average in blue) across all
/// stages, and validation mean IU per epoch (orange). Rendered with the project's own PNG encoder and a bitmap
/// font, so it needs no graphics library.
/// </summary>
public static class CurvesPlot
{
    private const int W = 960, H = 400, Margin = 48, Gap = 40;

    /// <summary>Writes the plot of <paramref name="history"/> to <paramref name="path"/> (atomically).</summary>
    public static void Write(string path, TrainingHistory history)
    {
        var canvas = new Canvas(W, H);
        int panel = (W - 2 * Margin - Gap) / 2;
        var losses = history.Losses.Select(l => l.Loss).Where(double.IsFinite).ToArray();
        var smooth = MovingAverage(losses, Math.Max(1, losses.Length / 50));
        double maxLoss = losses.Length > 0 ? losses.Max() : 1;
        var lossPanel = new Panel(canvas, Margin, Margin, panel, H - 2 * Margin, 0, Math.Max(1, losses.Length - 1), 0, maxLoss > 0 ? maxLoss : 1);
        lossPanel.Frame("LOSS - ITERATION", $"{losses.Length}", Fmt(maxLoss));
        lossPanel.Polyline(losses, (200, 200, 200));
        lossPanel.Polyline(smooth, (30, 90, 200));

        var miu = history.Validation.Select(v => v.MeanIU).ToArray();
        var miuPanel = new Panel(canvas, Margin + panel + Gap, Margin, panel, H - 2 * Margin, 0, Math.Max(1, miu.Length - 1), 0, 1);
        miuPanel.Frame("VALIDATION MEAN IU - EPOCH", $"{miu.Length}", "1.0");
        miuPanel.Polyline(miu, (230, 120, 20), markers: true);
        if (miu.Length > 0) canvas.Text($"LAST {Fmt(miu[^1])}", Margin + panel + Gap + 8, Margin + 8, (230, 120, 20));
        AtomicFile.Write(path, s => PngEncoder.WriteRgb8(s, W, H, canvas.Pixels));
    }

    private static string Fmt(double v) => v.ToString(v >= 10 ? "F0" : "F2", CultureInfo.InvariantCulture);

    private static double[] MovingAverage(double[] v, int window)
    {
        var r = new double[v.Length];
        double sum = 0;
        for (int i = 0; i < v.Length; i++)
        {
            sum += v[i];
            if (i >= window) sum -= v[i - window];
            r[i] = sum / Math.Min(i + 1, window);
        }
        return r;
    }

    private sealed class Panel(Canvas c, int left, int top, int width, int height, double x0, double x1, double y0, double y1)
    {
        public void Frame(string title, string xMax, string yMax)
        {
            c.Line(left, top + height, left + width, top + height, (0, 0, 0));
            c.Line(left, top, left, top + height, (0, 0, 0));
            c.Text(title, left, top - 16, (0, 0, 0));
            c.Text("0", left - 8, top + height + 6, (80, 80, 80));
            c.Text(xMax, left + width - 6 * xMax.Length, top + height + 6, (80, 80, 80));
            c.Text(yMax, left - 6 * yMax.Length - 4, top, (80, 80, 80));
        }

        public void Polyline(IReadOnlyList<double> values, (byte, byte, byte) color, bool markers = false)
        {
            int? px = null, py = null;
            for (int i = 0; i < values.Count; i++)
            {
                int x = left + (int)Math.Round((i - x0) / (x1 - x0) * width);
                int y = top + height - (int)Math.Round((Math.Clamp(values[i], y0, y1) - y0) / (y1 - y0) * height);
                if (px is int lx && py is int ly) c.Line(lx, ly, x, y, color);
                if (markers) c.Rect(x - 2, y - 2, 5, 5, color);
                (px, py) = (x, y);
            }
        }
    }

    private sealed class Canvas
    {
        private readonly int _w, _h;

        public Canvas(int w, int h)
        {
            (_w, _h) = (w, h);
            Pixels = Enumerable.Repeat((byte)255, 3 * w * h).ToArray();
        }

        public byte[] Pixels { get; }

        public void Set(int x, int y, (byte R, byte G, byte B) c)
        {
            if ((uint)x >= (uint)_w || (uint)y >= (uint)_h) return;
            int o = 3 * (y * _w + x);
            (Pixels[o], Pixels[o + 1], Pixels[o + 2]) = c;
        }

        public void Line(int x0, int y0, int x1, int y1, (byte, byte, byte) c)
        {
            int dx = Math.Abs(x1 - x0), dy = -Math.Abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, err = dx + dy;
            while (true)
            {
                Set(x0, y0, c);
                if (x0 == x1 && y0 == y1) return;
                int e2 = 2 * err;
                if (e2 >= dy) { err += dy; x0 += sx; }
                if (e2 <= dx) { err += dx; y0 += sy; }
            }
        }

        public void Rect(int x, int y, int w, int h, (byte, byte, byte) c)
        {
            for (int j = 0; j < h; j++) for (int i = 0; i < w; i++) Set(x + i, y + j, c);
        }

        public void Text(string s, int x, int y, (byte, byte, byte) c)
        {
            for (int k = 0; k < s.Length; k++)
                for (int gy = 0; gy < BitmapFont.Height; gy++)
                    for (int gx = 0; gx < BitmapFont.Width; gx++)
                        if (BitmapFont.Ink(s[k], gx, gy)) Set(x + 6 * k + gx, y + gy, c);
        }
    }
}
