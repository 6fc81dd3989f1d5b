namespace Fcn.MLNet.Tests.Support;

/// <summary>Independent reference computations (double precision, written from the definitions).</summary>
internal static class Reference
{
    /// <summary>
    /// Bilinear resize of [C, h, w] to [C, H, W] with half-pixel centres (PyTorch align_corners=False, ONNX
    /// half_pixel): source coordinate (x + 0.5)·w/W − 0.5, clamped to the edge.
    /// </summary>
    public static double[] ResizeBilinearHalfPixel(double[] src, int channels, int h, int w, int height, int width)
    {
        var dst = new double[channels * height * width];
        for (int y = 0; y < height; y++)
        {
            double sy = Math.Clamp((y + 0.5) * h / height - 0.5, 0, h - 1);
            int y0 = (int)Math.Floor(sy), y1 = Math.Min(y0 + 1, h - 1);
            double fy = sy - y0;
            for (int x = 0; x < width; x++)
            {
                double sx = Math.Clamp((x + 0.5) * w / width - 0.5, 0, w - 1);
                int x0 = (int)Math.Floor(sx), x1 = Math.Min(x0 + 1, w - 1);
                double fx = sx - x0;
                for (int c = 0; c < channels; c++)
                {
                    int o = c * h * w;
                    double top = src[o + y0 * w + x0] * (1 - fx) + src[o + y0 * w + x1] * fx;
                    double bottom = src[o + y1 * w + x0] * (1 - fx) + src[o + y1 * w + x1] * fx;
                    dst[(c * height + y) * width + x] = top * (1 - fy) + bottom * fy;
                }
            }
        }
        return dst;
    }

    /// <summary>Argmax over channels of [C, H, W] plus the margin between the best and second-best score.</summary>
    public static (int[] Classes, double[] Margin, double[] Best) Argmax(double[] scores, int channels, int pixels)
    {
        var classes = new int[pixels];
        var margin = new double[pixels];
        var best = new double[pixels];
        for (int p = 0; p < pixels; p++)
        {
            double b1 = double.NegativeInfinity, b2 = double.NegativeInfinity;
            int arg = 0;
            for (int c = 0; c < channels; c++)
            {
                double v = scores[c * pixels + p];
                if (v > b1) { b2 = b1; b1 = v; arg = c; }
                else if (v > b2) b2 = v;
            }
            classes[p] = arg;
            margin[p] = b1 - b2;
            best[p] = b1;
        }
        return (classes, margin, best);
    }
}
