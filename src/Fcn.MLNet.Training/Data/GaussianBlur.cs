namespace Fcn.MLNet.Training.Data;

/// <summary>
/// Gaussian blur of a training image (labels untouched): a separable kernel of radius ⌈3σ⌉ normalised to sum 1,
/// edges replicated.
/// </summary>
public static class GaussianBlur
{
    /// <summary>The sample with its image blurred with standard deviation <paramref name="sigma"/> pixels.</summary>
    public static SegmentationSample Blur(SegmentationSample s, double sigma)
    {
        if (!(sigma > 0)) return s;
        int h = s.Height, w = s.Width, radius = (int)Math.Ceiling(3 * sigma);
        var kernel = new float[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) sum += kernel[k + radius] = (float)Math.Exp(-k * k / (2 * sigma * sigma));
        for (int k = 0; k < kernel.Length; k++) kernel[k] = (float)(kernel[k] / sum);
        var image = new float[s.Image.Length];
        var row = new float[Math.Max(h, w)];
        for (int c = 0; c < 3; c++)
        {
            var src = s.Image.AsSpan(c * h * w, h * w);
            var dst = image.AsSpan(c * h * w, h * w);
            for (int y = 0; y < h; y++)   // horizontal pass into dst
                for (int x = 0; x < w; x++)
                {
                    float acc = 0;
                    for (int k = -radius; k <= radius; k++) acc += kernel[k + radius] * src[(y * w) + Math.Clamp(x + k, 0, w - 1)];
                    dst[y * w + x] = acc;
                }
            for (int x = 0; x < w; x++)   // vertical pass in place, one column at a time
            {
                for (int y = 0; y < h; y++) row[y] = dst[y * w + x];
                for (int y = 0; y < h; y++)
                {
                    float acc = 0;
                    for (int k = -radius; k <= radius; k++) acc += kernel[k + radius] * row[Math.Clamp(y + k, 0, h - 1)];
                    dst[y * w + x] = acc;
                }
            }
        }
        return new SegmentationSample(image, s.Labels);
    }
}
