using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// Rotation of a training sample about its centre by a given angle, keeping its size: the image bilinearly, the
/// labels by nearest neighbour (labels are never blended), and what comes in from outside the original filled with
/// the pad value (image) and the ignore label (labels), so new borders add no loss.
/// </summary>
public static class RandomRotation
{
    /// <summary>The sample rotated by <paramref name="degrees"/> (counter-clockwise on screen).</summary>
    public static SegmentationSample Rotate(SegmentationSample s, double degrees, int ignoreLabel, float padValue)
    {
        int h = s.Height, w = s.Width, plane = h * w;
        double rad = degrees * Math.PI / 180, cos = Math.Cos(rad), sin = Math.Sin(rad);
        double cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        var image = new float[3 * plane];
        var labels = new int[plane];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                // The source point that lands on (x, y): the inverse rotation about the centre (y grows downwards).
                double dx = x - cx, dy = y - cy;
                double sx = cx + (cos * dx) - (sin * dy), sy = cy + (sin * dx) + (cos * dy);
                int o = y * w + x;
                int nx = (int)Math.Round(sx), ny = (int)Math.Round(sy);
                labels[o] = nx >= 0 && nx < w && ny >= 0 && ny < h ? s.Labels.Labels[ny * w + nx] : ignoreLabel;
                int x0 = (int)Math.Floor(sx), y0 = (int)Math.Floor(sy);
                float fx = (float)(sx - x0), fy = (float)(sy - y0);
                for (int c = 0; c < 3; c++)
                {
                    float Tap(int yy, int xx) => yy >= 0 && yy < h && xx >= 0 && xx < w ? s.Image[(c * h + yy) * w + xx] : padValue;
                    float top = Tap(y0, x0) + (fx * (Tap(y0, x0 + 1) - Tap(y0, x0)));
                    float bottom = Tap(y0 + 1, x0) + (fx * (Tap(y0 + 1, x0 + 1) - Tap(y0 + 1, x0)));
                    image[c * plane + o] = top + (fy * (bottom - top));
                }
            }
        }
        return new SegmentationSample(image, new LabelMap(w, h, labels));
    }
}
