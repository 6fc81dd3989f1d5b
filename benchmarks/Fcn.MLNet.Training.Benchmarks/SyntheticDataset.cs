using System.IO.Compression;
using Fcn.MLNet;
using Fcn.MLNet.Imaging;

/// <summary>
/// Writes a segmentation dataset of seeded synthetic street-like scenes (images/ and masks/, paired by stem) at any
/// size, to benchmark data loading at Cityscapes scale: horizontal class bands (sky, buildings, road) with discs of
/// other classes, smooth shading and light noise (so PNG decoding costs about what a photo's does), and a border of
/// the ignore label. Existing files are kept, so a second run is free.
/// </summary>
internal static class SyntheticDataset
{
    public static void Write(string folder, int count, int width, int height, int classes, int ignore)
    {
        string images = Path.Combine(folder, "images"), masks = Path.Combine(folder, "masks");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(masks);
        var rgb = new byte[3 * width * height];
        for (int i = 0; i < count; i++)
        {
            string stem = $"synthetic_{i:D5}", image = Path.Combine(images, stem + ".png"), mask = Path.Combine(masks, stem + ".png");
            if (File.Exists(image) && File.Exists(mask)) continue;
            var rng = new Random(i);
            var labels = new int[width * height];
            int horizon = height * (35 + rng.Next(20)) / 100, road = height * (60 + rng.Next(15)) / 100;
            var discs = Enumerable.Range(0, 12).Select(_ => (X: rng.Next(width), Y: rng.Next(height), R: 20 + rng.Next(height / 6), C: 3 + rng.Next(classes - 3))).ToArray();
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++)
                {
                    int c = y < horizon ? 0 : y < road ? 1 : 2;
                    foreach (var d in discs)
                        if ((x - d.X) * (x - d.X) + (y - d.Y) * (y - d.Y) < d.R * d.R) c = d.C;
                    if (x < 4 || y < 4 || x >= width - 4 || y >= height - 4) c = ignore;
                    labels[y * width + x] = c;
                    int p = 3 * (y * width + x), shade = 255 * y / height, tone = c == ignore ? 0 : 40 + (c * 53 % 180);
                    rgb[p] = (byte)Math.Clamp(tone + shade / 4 + rng.Next(-6, 7), 0, 255);
                    rgb[p + 1] = (byte)Math.Clamp((tone * 7 % 200) + (255 * x / width / 5) + rng.Next(-6, 7), 0, 255);
                    rgb[p + 2] = (byte)Math.Clamp(255 - tone - shade / 5 + rng.Next(-6, 7), 0, 255);
                }
            AtomicFile.Write(image, s => PngEncoder.WriteRgb8(s, width, height, rgb, CompressionLevel.Fastest));
            MaskWriter.WriteIndexPng(mask, new LabelMap(width, height, labels));
            if ((i + 1) % 50 == 0) Console.WriteLine($"  {i + 1}/{count} written");
        }
    }
}
