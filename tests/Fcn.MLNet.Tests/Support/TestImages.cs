using Fcn.MLNet.Mappings;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests.Support;

/// <summary>A row with one image of any size.</summary>
public sealed class ImageRow
{
    [FcnImageType]
    public MLImage? Image { get; set; }
}

/// <summary>Seeded random images, as MLImage (BGRA) and as planar RGB floats.</summary>
internal sealed record TestImage(int Width, int Height, byte[] Rgb)
{
    public static TestImage Random(int width, int height, int seed)
    {
        var rng = new Random(seed);
        var rgb = new byte[3 * width * height];
        rng.NextBytes(rgb);
        return new TestImage(width, height, rgb);
    }

    /// <summary>Red rises left to right and green top to bottom (blue is noise): classes change across the image.</summary>
    public static TestImage Gradient(int width, int height, int seed)
    {
        var rgb = new byte[3 * width * height];
        var noise = new Random(seed);
        for (int p = 0; p < width * height; p++)
            (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = ((byte)(p % width * 255 / (width - 1)), (byte)(p / width * 255 / (height - 1)), (byte)noise.Next(256));
        return new TestImage(width, height, rgb);
    }

    public MLImage ToMLImage()
    {
        var bgra = new byte[4 * Width * Height];
        for (int i = 0; i < Width * Height; i++)
        {
            bgra[4 * i] = Rgb[3 * i + 2];
            bgra[4 * i + 1] = Rgb[3 * i + 1];
            bgra[4 * i + 2] = Rgb[3 * i];
            bgra[4 * i + 3] = 255;
        }
        return MLImage.CreateFromPixels(Width, Height, MLPixelFormat.Bgra32, bgra);
    }

    /// <summary>Planar [3, H, W] in RGB (or BGR) order, values 0–255.</summary>
    public float[] Planar(bool bgr = false)
    {
        int plane = Width * Height;
        var planar = new float[3 * plane];
        for (int i = 0; i < plane; i++)
            for (int c = 0; c < 3; c++)
                planar[c * plane + i] = Rgb[3 * i + (bgr ? 2 - c : c)];
        return planar;
    }

    public static IDataView ToDataView(MLContext ml, IEnumerable<TestImage> images) =>
        ml.Data.LoadFromEnumerable(images.Select(i => new ImageRow { Image = i.ToMLImage() }).ToList());
}
