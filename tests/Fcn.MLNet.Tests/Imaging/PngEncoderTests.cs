using System.IO.Compression;
using Fcn.MLNet.Imaging;
using NUnit.Framework;
using B = Fcn.MLNet.Tests.Imaging.PngTestBuilder;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class PngEncoderTests
{
    private static readonly (int W, int H)[] Sizes = [(1, 1), (3, 5), (257, 3)];

    private static byte[] RandomBytes(int count, int seed, int max = 256)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (byte)random.Next(max)).ToArray();
    }

    private static PngImage EncodeDecode(Action<Stream> write, out byte[] png)
    {
        using var stream = new MemoryStream();
        write(stream);
        png = stream.ToArray();
        return PngDecoder.Decode(png);
    }

    [Test]
    public void Gray8_RoundTrip([Values(0, 1, 2)] int size)
    {
        var (w, h) = Sizes[size];
        byte[] pixels = RandomBytes(w * h, 10 + size);

        PngImage image = EncodeDecode(s => PngEncoder.WriteGray8(s, w, h, pixels), out _);

        Assert.That((image.Width, image.Height, image.ColorType, image.BitDepth), Is.EqualTo((w, h, PngColorType.Grayscale, 8)));
        Assert.That(image.Samples, Is.EqualTo(pixels.Select(p => (ushort)p).ToArray()));
    }

    [Test]
    public void Gray16_RoundTrip([Values(0, 1, 2)] int size)
    {
        var (w, h) = Sizes[size];
        var random = new Random(20 + size);
        ushort[] pixels = Enumerable.Range(0, w * h).Select(_ => (ushort)random.Next(65536)).ToArray();
        pixels[0] = 0xFFFF;

        PngImage image = EncodeDecode(s => PngEncoder.WriteGray16(s, w, h, pixels), out _);

        Assert.That((image.ColorType, image.BitDepth), Is.EqualTo((PngColorType.Grayscale, 16)));
        Assert.That(image.Samples, Is.EqualTo(pixels));
    }

    [Test]
    public void Rgb8_RoundTrip([Values(0, 1, 2)] int size)
    {
        var (w, h) = Sizes[size];
        byte[] rgb = RandomBytes(w * h * 3, 30 + size);

        PngImage image = EncodeDecode(s => PngEncoder.WriteRgb8(s, w, h, rgb), out _);

        Assert.That((image.ColorType, image.BitDepth, image.Channels), Is.EqualTo((PngColorType.Rgb, 8, 3)));
        Assert.That(image.Samples, Is.EqualTo(rgb.Select(p => (ushort)p).ToArray()));
    }

    [Test]
    public void Rgba8_RoundTrip([Values(0, 1, 2)] int size)
    {
        var (w, h) = Sizes[size];
        byte[] rgba = RandomBytes(w * h * 4, 40 + size);

        PngImage image = EncodeDecode(s => PngEncoder.WriteRgba8(s, w, h, rgba), out _);

        Assert.That((image.ColorType, image.BitDepth, image.Channels), Is.EqualTo((PngColorType.Rgba, 8, 4)));
        Assert.That(image.Samples, Is.EqualTo(rgba.Select(p => (ushort)p).ToArray()));
    }

    [Test]
    public void Indexed8_RoundTrip([Values(0, 1, 2)] int size)
    {
        var (w, h) = Sizes[size];
        byte[] palette = ColorPalette.PascalVoc(21).ToRgbTriples();
        byte[] indices = RandomBytes(w * h, 50 + size, max: 21);

        PngImage image = EncodeDecode(s => PngEncoder.WriteIndexed8(s, w, h, indices, palette), out byte[] png);

        Assert.That((image.ColorType, image.BitDepth), Is.EqualTo((PngColorType.Indexed, 8)));
        Assert.That(image.Samples, Is.EqualTo(indices.Select(p => (ushort)p).ToArray()));
        Assert.That(image.Palette, Is.EqualTo(palette));
        Assert.That(B.ReadChunks(png).Select(c => c.Type), Is.EqualTo(new[] { "IHDR", "PLTE", "IDAT", "IEND" }));
    }

    [Test]
    public void Output_HasValidChunksAndHeader_CheckedByIndependentParser()
    {
        byte[] rgb = RandomBytes(257 * 3 * 3, 60);
        using var stream = new MemoryStream();
        PngEncoder.WriteRgb8(stream, 257, 3, rgb);

        var chunks = B.ReadChunks(stream.ToArray()); // throws on any CRC mismatch

        Assert.That(chunks[0].Type, Is.EqualTo("IHDR"));
        Assert.That(chunks[0].Data, Is.EqualTo(new byte[] { 0, 0, 1, 1, 0, 0, 0, 3, 8, 2, 0, 0, 0 }));
        Assert.That(chunks[^1], Is.EqualTo(("IEND", Array.Empty<byte>())));

        // The concatenated IDAT payload is one zlib stream of 3 rows of 1 + 257 * 3 bytes, each with a legal filter byte.
        byte[] z = chunks.Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var inflated = new MemoryStream();
        using (var zs = new ZLibStream(new MemoryStream(z), CompressionMode.Decompress))
        {
            zs.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        Assert.That(raw.Length, Is.EqualTo(3 * (1 + (257 * 3))));
        Assert.That(new[] { raw[0], raw[772], raw[1544] }, Has.All.LessThanOrEqualTo(4));
    }

    [Test]
    public void LargeImage_SplitsIntoSeveralIdatChunks_AndRoundTrips()
    {
        byte[] rgba = RandomBytes(300 * 400 * 4, 70);
        PngImage image = EncodeDecode(s => PngEncoder.WriteRgba8(s, 300, 400, rgba, CompressionLevel.Optimal), out byte[] png);

        Assert.That(B.ReadChunks(png).Count(c => c.Type == "IDAT"), Is.GreaterThan(1));
        Assert.That(image.Samples, Is.EqualTo(rgba.Select(p => (ushort)p).ToArray()));
    }

    [Test]
    public void SmoothGradient_UsesPredictiveFilters()
    {
        // A horizontal ramp: Sub turns every row into near-constant bytes, so the adaptive choice must not be None.
        const int w = 200, h = 4;
        byte[] rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++)
        {
            rgb[i] = (byte)(i / 3 % w);
        }

        using var stream = new MemoryStream();
        PngEncoder.WriteRgb8(stream, w, h, rgb);
        byte[] z = B.ReadChunks(stream.ToArray()).Where(c => c.Type == "IDAT").SelectMany(c => c.Data).ToArray();
        using var inflated = new MemoryStream();
        using (var zs = new ZLibStream(new MemoryStream(z), CompressionMode.Decompress))
        {
            zs.CopyTo(inflated);
        }

        byte[] raw = inflated.ToArray();
        int stride = 1 + (w * 3);
        Assert.That(Enumerable.Range(0, h).Select(y => raw[y * stride]), Has.All.Not.EqualTo(0));
    }

    [Test]
    public void InvalidArguments_Throw()
    {
        using var s = new MemoryStream();
        var ex = Assert.Throws<ArgumentException>(() => PngEncoder.WriteGray8(s, 3, 5, new byte[14]));
        Assert.That(ex!.Message, Does.Contain("needs 15 values, got 14"));
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.WriteRgb8(s, 0, 5, []));
        Assert.Throws<ArgumentException>(() => PngEncoder.WriteIndexed8(s, 1, 1, [0], [1, 2]));
        Assert.Throws<ArgumentException>(() => PngEncoder.WriteIndexed8(s, 1, 1, [0], new byte[771]));
        var bad = Assert.Throws<ArgumentException>(() => PngEncoder.WriteIndexed8(s, 2, 2, [0, 1, 1, 2], [1, 2, 3, 4, 5, 6]));
        Assert.That(bad!.Message, Does.Contain("Index 2 at pixel (1, 1) is not below the palette size 2"));
        Assert.That(s.Length, Is.EqualTo(0), "nothing is written when arguments are invalid");
    }
}
