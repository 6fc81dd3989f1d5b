using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Reporting;

/// <summary>Small PNGs for the report's gallery: an image reduced by area averaging, label maps by nearest class, in palette colours.</summary>
internal static class Thumbnail
{
    /// <summary>The thumbnail size of a <paramref name="width"/>×<paramref name="height"/> picture no wider than <paramref name="maxWidth"/>.</summary>
    public static (int Width, int Height) Size(int width, int height, int maxWidth)
    {
        if (width <= maxWidth) return (width, height);
        return (maxWidth, Math.Max(1, (int)Math.Round((double)height * maxWidth / width)));
    }

    /// <summary>Packed RGB reduced to <paramref name="to"/> by averaging the source pixels each target pixel covers, as a PNG.</summary>
    public static byte[] Image(int width, int height, byte[] rgb, (int Width, int Height) to)
    {
        var small = new byte[3 * to.Width * to.Height];
        for (int y = 0; y < to.Height; y++)
        {
            int y0 = y * height / to.Height, y1 = Math.Max(y0 + 1, (y + 1) * height / to.Height);
            for (int x = 0; x < to.Width; x++)
            {
                int x0 = x * width / to.Width, x1 = Math.Max(x0 + 1, (x + 1) * width / to.Width);
                long r = 0, g = 0, b = 0;
                for (int sy = y0; sy < y1; sy++)
                    for (int sx = x0; sx < x1; sx++)
                    {
                        int s = 3 * (sy * width + sx);
                        r += rgb[s];
                        g += rgb[s + 1];
                        b += rgb[s + 2];
                    }
                long n = (long)(y1 - y0) * (x1 - x0);
                int d = 3 * (y * to.Width + x);
                (small[d], small[d + 1], small[d + 2]) = ((byte)(r / n), (byte)(g / n), (byte)(b / n));
            }
        }
        return Png(to, small);
    }

    /// <summary>A label map drawn in <paramref name="palette"/> at <paramref name="to"/> (nearest label; labels past the palette are black).</summary>
    public static byte[] Labels(int width, int height, int[] labels, ColorPalette palette, (int Width, int Height) to)
    {
        var small = new byte[3 * to.Width * to.Height];
        for (int y = 0; y < to.Height; y++)
        {
            int sy = Math.Min(height - 1, (int)((y + 0.5) * height / to.Height));
            for (int x = 0; x < to.Width; x++)
            {
                int sx = Math.Min(width - 1, (int)((x + 0.5) * width / to.Width));
                int label = labels[sy * width + sx];
                var c = (uint)label < (uint)palette.Count ? palette[label] : ((byte)0, (byte)0, (byte)0);
                int d = 3 * (y * to.Width + x);
                (small[d], small[d + 1], small[d + 2]) = c;
            }
        }
        return Png(to, small);
    }

    private static byte[] Png((int Width, int Height) size, byte[] rgb)
    {
        using var s = new MemoryStream();
        PngEncoder.WriteRgb8(s, size.Width, size.Height, rgb);
        return s.ToArray();
    }
}
