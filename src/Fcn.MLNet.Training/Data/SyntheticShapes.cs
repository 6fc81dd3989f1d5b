using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// A seeded synthetic segmentation dataset for demos and benchmarks: textured grey backgrounds (class 0) with red
/// discs (1), green rectangles (2) and blue triangles (3) in jittered colours, images of 120–240 × 90–180 pixels.
/// </summary>
public static class SyntheticShapes
{
    /// <summary>The four class names.</summary>
    public static readonly string[] ClassNames = { "background", "disc", "rectangle", "triangle" };

    private static readonly (int R, int G, int B)[] BaseColors = { (128, 128, 128), (200, 60, 50), (60, 170, 70), (50, 80, 200) };

    /// <summary>Image <paramref name="seed"/>: packed RGB pixels and its label map.</summary>
    public static (int Width, int Height, byte[] Rgb, LabelMap Mask) Generate(int seed)
    {
        var rng = new Random(seed);
        int w = rng.Next(120, 241), h = rng.Next(90, 181);
        var mask = new LabelMap(w, h);
        int shapes = rng.Next(2, 6);
        for (int s = 0; s < shapes; s++)
        {
            int cls = 1 + rng.Next(3);
            int cx = rng.Next(w), cy = rng.Next(h), r = rng.Next(12, Math.Min(w, h) / 3);
            for (int y = Math.Max(0, cy - r); y < Math.Min(h, cy + r); y++)
                for (int x = Math.Max(0, cx - r); x < Math.Min(w, cx + r); x++)
                {
                    int dx = x - cx, dy = y - cy;
                    bool inside = cls switch
                    {
                        1 => dx * dx + dy * dy <= r * r,
                        2 => Math.Abs(dy) <= r * 2 / 3,
                        _ => dy >= -r / 2 && Math.Abs(dx) <= (dy + r / 2) * 2 / 3,
                    };
                    if (inside) mask[x, y] = cls;
                }
        }
        var jitter = BaseColors.Select(c => (c.R + rng.Next(-25, 26), c.G + rng.Next(-25, 26), c.B + rng.Next(-25, 26))).ToArray();
        var rgb = new byte[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x;
                var (r, g, b) = jitter[mask.Labels[p]];
                int texture = (int)(18 * Math.Sin(x * 0.31 + seed) * Math.Cos(y * 0.23)) + rng.Next(-30, 31);
                rgb[3 * p] = Clamp(r + texture);
                rgb[3 * p + 1] = Clamp(g + texture);
                rgb[3 * p + 2] = Clamp(b + texture);
            }
        return (w, h, rgb, mask);
    }

    private static byte Clamp(int v) => (byte)Math.Clamp(v, 0, 255);

    /// <summary>
    /// Writes images <paramref name="first"/>…<paramref name="first"/>+<paramref name="count"/>−1 as RGB PNGs to
    /// <paramref name="imagesFolder"/> and their index masks (same file names) to <paramref name="masksFolder"/>;
    /// returns the (image, mask) paths.
    /// </summary>
    public static IReadOnlyList<(string Image, string Mask)> Write(string imagesFolder, string masksFolder, int first, int count)
    {
        var paths = new List<(string, string)>();
        for (int i = first; i < first + count; i++)
        {
            var (w, h, rgb, mask) = Generate(seed: 1000 + i);
            string image = Path.Combine(imagesFolder, $"shapes{i:D3}.png"), maskPath = Path.Combine(masksFolder, $"shapes{i:D3}.png");
            AtomicFile.Write(image, s => PngEncoder.WriteRgb8(s, w, h, rgb));
            MaskWriter.WriteIndexPng(maskPath, mask);
            paths.Add((image, maskPath));
        }
        return paths;
    }
}
