using Fcn.MLNet;
using Fcn.MLNet.Imaging;

namespace Fcn.Benchmarks;

/// <summary>Smooth synthetic photos (gradients and discs, light noise) written as PNG, so decoding costs what a real image costs.</summary>
internal static class BenchmarkImages
{
    public static IReadOnlyList<string> Write(string folder, int count, int width, int height)
    {
        Directory.CreateDirectory(folder);
        var paths = new List<string>();
        for (int i = 0; i < count; i++)
        {
            string path = Path.Combine(folder, $"bench_{width}x{height}_{i}.png");
            paths.Add(path);
            if (File.Exists(path)) continue;
            var rng = new Random(i);
            var rgb = new byte[3 * width * height];
            int cx = rng.Next(width), cy = rng.Next(height), r = Math.Min(width, height) / 4;
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int p = 3 * (y * width + x);
                    bool disc = (x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r;
                    rgb[p] = (byte)(disc ? 220 : 255 * x / width);
                    rgb[p + 1] = (byte)(disc ? 40 : 255 * y / height);
                    rgb[p + 2] = (byte)Math.Clamp(128 + rng.Next(-8, 9), 0, 255);
                }
            AtomicFile.Write(path, s => PngEncoder.WriteRgb8(s, width, height, rgb));
        }
        return paths;
    }
}
