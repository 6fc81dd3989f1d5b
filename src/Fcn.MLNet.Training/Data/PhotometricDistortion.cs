namespace Fcn.MLNet.Training.Data;

/// <summary>
/// Random colour changes of a training image, MMSegmentation's <c>PhotoMetricDistortion</c>: brightness, contrast,
/// saturation and hue, each applied with probability ½ in pixel units (0–255, values clipped after each step), with
/// contrast either first or last (chosen at random). Labels are untouched.
/// </summary>
public sealed record PhotometricDistortion
{
    /// <summary>Brightness: a shift drawn uniformly from ±this, in pixel units (MMSegmentation: 32).</summary>
    public double BrightnessDelta { get; init; } = 32;

    /// <summary>Contrast: a factor drawn uniformly from [Min, Max] multiplying every channel (MMSegmentation: 0.5–1.5).</summary>
    public (double Min, double Max) Contrast { get; init; } = (0.5, 1.5);

    /// <summary>Saturation: a factor drawn uniformly from [Min, Max] multiplying HSV saturation (0.5–1.5).</summary>
    public (double Min, double Max) Saturation { get; init; } = (0.5, 1.5);

    /// <summary>Hue: a rotation drawn uniformly from ±this, in degrees (36°: MMSegmentation's 18 in OpenCV's 0–180 units).</summary>
    public double HueDelta { get; init; } = 36;

    /// <summary>Throws unless every range is finite, non-negative and ordered.</summary>
    public void Validate()
    {
        static bool Range((double Min, double Max) r) => r.Min >= 0 && r.Min <= r.Max && double.IsFinite(r.Max);
        if (!(BrightnessDelta >= 0 && BrightnessDelta <= 255) || !(HueDelta >= 0 && HueDelta <= 180) || !Range(Contrast) || !Range(Saturation))
            throw new ArgumentException(
                $"Photometric distortion needs brightness delta in [0, 255], hue delta in [0, 180] degrees and contrast/saturation ranges 0 ≤ min ≤ max; got {this}.");
    }

    /// <summary>
    /// Distorts <paramref name="rgb"/> in place: three planes R, G, B of pixel values (0–255) of length
    /// <paramref name="plane"/> each, drawing every decision from <paramref name="random"/> in a fixed order.
    /// </summary>
    public void Apply(float[] rgb, int plane, Random random)
    {
        int mode = random.Next(2);
        if (random.Next(2) == 1) AddClipped(rgb, (float)Uniform(random, -BrightnessDelta, BrightnessDelta));
        if (mode == 1 && random.Next(2) == 1) ScaleClipped(rgb, (float)Uniform(random, Contrast.Min, Contrast.Max));
        bool saturate = random.Next(2) == 1;
        double saturation = saturate ? Uniform(random, Saturation.Min, Saturation.Max) : 1;
        bool rotateHue = random.Next(2) == 1;
        double hue = rotateHue ? Uniform(random, -HueDelta, HueDelta) : 0;
        if (saturate || rotateHue) ChangeHsv(rgb, plane, saturation, hue);
        if (mode == 0 && random.Next(2) == 1) ScaleClipped(rgb, (float)Uniform(random, Contrast.Min, Contrast.Max));
    }

    private static double Uniform(Random random, double min, double max) => min + (random.NextDouble() * (max - min));

    private static void AddClipped(float[] v, float delta)
    {
        for (int i = 0; i < v.Length; i++) v[i] = Math.Clamp(v[i] + delta, 0f, 255f);
    }

    private static void ScaleClipped(float[] v, float factor)
    {
        for (int i = 0; i < v.Length; i++) v[i] = Math.Clamp(v[i] * factor, 0f, 255f);
    }

    /// <summary>Per pixel: RGB → HSV, S·saturation (clipped to 1), H + hue (mod 360°), → RGB.</summary>
    private static void ChangeHsv(float[] rgb, int plane, double saturation, double hue)
    {
        for (int i = 0; i < plane; i++)
        {
            double r = rgb[i] / 255.0, g = rgb[plane + i] / 255.0, b = rgb[2 * plane + i] / 255.0;
            double max = Math.Max(r, Math.Max(g, b)), min = Math.Min(r, Math.Min(g, b)), chroma = max - min;
            double h = chroma == 0 ? 0 : max == r ? 60 * (((g - b) / chroma + 6) % 6) : max == g ? 60 * ((b - r) / chroma + 2) : 60 * ((r - g) / chroma + 4);
            double s = max == 0 ? 0 : chroma / max, v = max;
            s = Math.Min(1, s * saturation);
            h = ((h + hue) % 360 + 360) % 360;
            double c = v * s, x = c * (1 - Math.Abs(h / 60 % 2 - 1)), m = v - c;
            var (r1, g1, b1) = (int)(h / 60) switch
            {
                0 => (c, x, 0.0),
                1 => (x, c, 0.0),
                2 => (0.0, c, x),
                3 => (0.0, x, c),
                4 => (x, 0.0, c),
                _ => (c, 0.0, x),
            };
            rgb[i] = (float)Math.Clamp((r1 + m) * 255, 0, 255);
            rgb[plane + i] = (float)Math.Clamp((g1 + m) * 255, 0, 255);
            rgb[2 * plane + i] = (float)Math.Clamp((b1 + m) * 255, 0, 255);
        }
    }
}
