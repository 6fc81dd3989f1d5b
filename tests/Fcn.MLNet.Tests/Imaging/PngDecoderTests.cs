using System.Diagnostics;
using Fcn.MLNet.Imaging;
using NUnit.Framework;
using B = Fcn.MLNet.Tests.Imaging.PngTestBuilder;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class PngDecoderTests
{
    [Test]
    public void Gray8_EachFilterType_HandComputedRows()
    {
        // Filtered bytes computed by hand from the specification; first byte of each row is the filter type.
        byte[] raw =
        [
            0, 10, 20, 30, 40,     // None
            1, 15, 10, 251, 230,   // Sub:     15, 25, 20, 250
            2, 1, 251, 10, 10,     // Up:      16, 20, 30, 4
            3, 92, 246, 20, 38,    // Average: 100, 50, 60, 70
            4, 246, 60, 201, 0,    // Paeth:   90, 110, 55, 70
        ];
        byte[] png = B.Png(B.Ihdr(4, 5, 8, 0), B.Chunk("IDAT", B.Zlib(raw)), B.Chunk("IEND", []));

        PngImage image = PngDecoder.Decode(png);

        Assert.That(image.Width, Is.EqualTo(4));
        Assert.That(image.Height, Is.EqualTo(5));
        Assert.That(image.ColorType, Is.EqualTo(PngColorType.Grayscale));
        Assert.That(image.BitDepth, Is.EqualTo(8));
        Assert.That(image.Channels, Is.EqualTo(1));
        Assert.That(image.Palette, Is.Null);
        ushort[] expected = [10, 20, 30, 40, 15, 25, 20, 250, 16, 20, 30, 4, 100, 50, 60, 70, 90, 110, 55, 70];
        Assert.That(image.Samples, Is.EqualTo(expected));
    }

    [Test]
    public void SubByteGrayscale_HandPackedBytes()
    {
        // 1-bit, 10x2: row 0 = 1011001101 (None), row 1 = all ones with Sub (bpp 1): FF, C0-FF = C1.
        byte[] png1 = B.Png(B.Ihdr(10, 2, 1, 0), B.Chunk("IDAT", B.Zlib([0, 0xB3, 0x40, 1, 0xFF, 0xC1])), B.Chunk("IEND", []));
        // 2-bit, 3x1: 3, 0, 2 -> 11 00 10 00 = C8.
        byte[] png2 = B.Png(B.Ihdr(3, 1, 2, 0), B.Chunk("IDAT", B.Zlib([0, 0xC8])), B.Chunk("IEND", []));
        // 4-bit, 3x1: 15, 1, 10 -> F1 A0.
        byte[] png4 = B.Png(B.Ihdr(3, 1, 4, 0), B.Chunk("IDAT", B.Zlib([0, 0xF1, 0xA0])), B.Chunk("IEND", []));

        Assert.That(PngDecoder.Decode(png1).Samples, Is.EqualTo(new ushort[] { 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }));
        Assert.That(PngDecoder.Decode(png2).Samples, Is.EqualTo(new ushort[] { 3, 0, 2 }));
        Assert.That(PngDecoder.Decode(png4).Samples, Is.EqualTo(new ushort[] { 15, 1, 10 }));
        Assert.That(PngDecoder.Decode(png4).BitDepth, Is.EqualTo(4));
    }

    [Test]
    public void Indexed2Bit_HandPackedBytes_KeepsIndicesAndPalette()
    {
        byte[] palette = [0, 0, 0, 128, 0, 0, 0, 128, 0, 224, 224, 192];
        // 5x1 indices 1, 2, 3, 0, 3 -> 01 10 11 00 | 11 000000 = 6C C0.
        byte[] png = B.Png(B.Ihdr(5, 1, 2, 3), B.Chunk("PLTE", palette), B.Chunk("IDAT", B.Zlib([0, 0x6C, 0xC0])), B.Chunk("IEND", []));

        PngImage image = PngDecoder.Decode(png);

        Assert.That(image.ColorType, Is.EqualTo(PngColorType.Indexed));
        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 1, 2, 3, 0, 3 }));
        Assert.That(image.Palette, Is.EqualTo(palette));
    }

    [Test]
    public void Gray16_HandBytes_BigEndianWithUpFilter()
    {
        // Row 0: 1234 FFFF (None). Row 1: 0000 00FF with Up: 00-12=EE 00-34=CC 00-FF=01 FF-FF=00.
        byte[] raw = [0, 0x12, 0x34, 0xFF, 0xFF, 2, 0xEE, 0xCC, 0x01, 0x00];
        byte[] png = B.Png(B.Ihdr(2, 2, 16, 0), B.Chunk("IDAT", B.Zlib(raw)), B.Chunk("IEND", []));

        PngImage image = PngDecoder.Decode(png);

        Assert.That(image.BitDepth, Is.EqualTo(16));
        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 0x1234, 0xFFFF, 0x0000, 0x00FF }));
    }

    [Test]
    public void Adam7_Gray8_8x8_MatchesKnownPixels()
    {
        var samples = Enumerable.Range(0, 64).Select(i => (ushort)(i * 3)).ToArray();
        byte[] png = B.Build(8, 8, PngColorType.Grayscale, 8, samples, interlaced: true, (p, j) => (byte)((p + j) % 5));

        PngImage image = PngDecoder.Decode(png);

        Assert.That(image.Samples, Is.EqualTo(samples));
        Assert.That(image.GetSample(5, 6), Is.EqualTo((ushort)(((6 * 8) + 5) * 3)));
    }

    private static IEnumerable<TestCaseData> Formats()
    {
        (PngColorType Type, int Depth)[] formats =
        [
            (PngColorType.Grayscale, 1), (PngColorType.Grayscale, 2), (PngColorType.Grayscale, 4),
            (PngColorType.Grayscale, 8), (PngColorType.Grayscale, 16),
            (PngColorType.Rgb, 8), (PngColorType.Rgb, 16),
            (PngColorType.Indexed, 1), (PngColorType.Indexed, 2), (PngColorType.Indexed, 4), (PngColorType.Indexed, 8),
            (PngColorType.GrayscaleAlpha, 8), (PngColorType.GrayscaleAlpha, 16),
            (PngColorType.Rgba, 8), (PngColorType.Rgba, 16),
        ];
        foreach (var (type, depth) in formats)
        {
            foreach (bool interlaced in new[] { false, true })
            {
                yield return new TestCaseData(type, depth, interlaced).SetName($"AllFormats_{type}_{depth}bit_{(interlaced ? "Adam7" : "Plain")}");
            }
        }
    }

    [TestCaseSource(nameof(Formats))]
    public void AllFormats_EveryFilter_DecodeToTheSamplesTheyWereBuiltFrom(PngColorType type, int depth, bool interlaced)
    {
        int channels = PngImage.ChannelsOf(type);
        var random = new Random(1234 + (int)type + depth);
        foreach (var (w, h) in new[] { (1, 1), (3, 5), (13, 11), (2, 9) })
        {
            int max = type == PngColorType.Indexed ? Math.Min(1 << depth, 7) : 1 << depth;
            var samples = Enumerable.Range(0, w * h * channels).Select(_ => (ushort)random.Next(max)).ToArray();
            byte[]? palette = type == PngColorType.Indexed ? Enumerable.Range(0, 21).Select(i => (byte)(i * 12)).ToArray() : null;
            byte[] png = B.Build(w, h, type, depth, samples, interlaced, (p, j) => (byte)((p + j + w) % 5), palette, idatPiece: 7, ancillary: true);

            PngImage image = PngDecoder.Decode(png);

            Assert.That(image.ColorType, Is.EqualTo(type), $"{w}x{h}");
            Assert.That(image.BitDepth, Is.EqualTo(depth), $"{w}x{h}");
            Assert.That(image.Channels, Is.EqualTo(channels), $"{w}x{h}");
            Assert.That(image.Samples, Is.EqualTo(samples), $"{w}x{h}");
            Assert.That(image.Palette, Is.EqualTo(palette), $"{w}x{h}");
        }
    }

    [Test]
    public void Adam7_TinyImagesWithEmptyPasses()
    {
        foreach (var (w, h) in new[] { (1, 1), (2, 1), (1, 5), (3, 3), (5, 2) })
        {
            var samples = Enumerable.Range(0, w * h).Select(i => (ushort)(i + 1)).ToArray();
            byte[] png = B.Build(w, h, PngColorType.Grayscale, 8, samples, interlaced: true, (p, j) => 4);
            Assert.That(PngDecoder.Decode(png).Samples, Is.EqualTo(samples), $"{w}x{h}");
        }
    }

    [Test]
    public void Stream_DecodesFromCurrentPosition_AndLeavesStreamOpen()
    {
        byte[] png = B.Build(2, 2, PngColorType.Grayscale, 8, [1, 2, 3, 4], false, (p, j) => 0);
        using var stream = new MemoryStream([9, 9, 9, .. png]);
        stream.Position = 3;

        PngImage image = PngDecoder.Decode(stream);

        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 1, 2, 3, 4 }));
        Assert.That(stream.CanRead, Is.True);
    }

    [Test]
    public void NotPng_FromPath_MessageNamesFileAndSignature()
    {
        using var dir = new TempFolder();
        string path = dir.File("a.png");
        File.WriteAllText(path, "GIF89a this is not a png");

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(path));

        Assert.That(ex!.Message, Is.EqualTo($"{path}: not a PNG file (bad signature)"));
    }

    [Test]
    public void CorruptedCrc_FromPath_MessageNamesFileAndChunk()
    {
        using var dir = new TempFolder();
        string path = dir.File("crc.png");
        byte[] png = B.Build(16, 16, PngColorType.Grayscale, 8, new ushort[256], false, (p, j) => 0);
        png[^13] ^= 0x01; // last byte of the IDAT CRC (IEND is the final 12 bytes)
        File.WriteAllBytes(path, png);

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(path));

        Assert.That(ex!.Message, Does.StartWith(path + ": CRC mismatch in chunk 'IDAT'"));
    }

    [Test]
    public void CorruptedDataByte_IsCaughtByCrc()
    {
        byte[] png = B.Build(4, 4, PngColorType.Rgb, 8, new ushort[48], false, (p, j) => 0);
        png[8 + 8 + 3] ^= 0x40; // inside the IHDR data (low byte of the width)

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));

        Assert.That(ex!.Message, Does.Contain("CRC mismatch in chunk 'IHDR'"));
    }

    [Test]
    public void TruncatedFile_FromPath_MessageNamesFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("cut.png");
        var random = new Random(5);
        var samples = Enumerable.Range(0, 64 * 64).Select(_ => (ushort)random.Next(256)).ToArray();
        byte[] png = B.Build(64, 64, PngColorType.Grayscale, 8, samples, false, (p, j) => 1);
        File.WriteAllBytes(path, png[..(png.Length / 2)]);

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(path));

        Assert.That(ex!.Message, Does.StartWith(path + ": truncated file"));
    }

    [Test]
    public void MissingIend_IsTruncated()
    {
        byte[] png = B.Png(B.Ihdr(1, 1, 8, 0), B.Chunk("IDAT", B.Zlib([0, 7])));

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));

        Assert.That(ex!.Message, Is.EqualTo("PNG data: truncated file (no IEND chunk)"));
    }

    [Test]
    public void TooLittleImageData_IsReported()
    {
        byte[] png = B.Png(B.Ihdr(4, 2, 8, 0), B.Chunk("IDAT", B.Zlib([0, 1, 2, 3, 4, 0, 1])), B.Chunk("IEND", []));

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));

        Assert.That(ex!.Message, Does.Contain("expected 10 bytes of scanlines after decompression, got 7"));
    }

    [Test]
    public void CorruptZlibStream_WithValidCrc_IsInvalidData()
    {
        byte[] z = B.Zlib([0, 1, 2, 3]);
        z[^1] ^= 0xFF; // break the Adler-32 checksum
        byte[] png = B.Png(B.Ihdr(3, 1, 8, 0), B.Chunk("IDAT", z), B.Chunk("IEND", []));

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));

        Assert.That(ex!.Message, Does.StartWith("PNG data: corrupt compressed image data"));
    }

    [Test]
    public void InvalidFilterType_IsReportedWithRow()
    {
        byte[] png = B.Png(B.Ihdr(2, 2, 8, 0), B.Chunk("IDAT", B.Zlib([0, 1, 2, 5, 3, 4])), B.Chunk("IEND", []));

        var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png));

        Assert.That(ex!.Message, Is.EqualTo("PNG data: invalid filter type 5 in row 1"));
    }

    [Test]
    public void StructuralErrors_AreInvalidData()
    {
        byte[] idat = B.Chunk("IDAT", B.Zlib([0, 1]));
        byte[] iend = B.Chunk("IEND", []);
        var cases = new Dictionary<string, byte[]>
        {
            ["unknown critical chunk 'ABCD'"] = B.Png(B.Ihdr(1, 1, 8, 0), B.Chunk("ABCD", [1]), idat, iend),
            ["indexed image has no PLTE chunk"] = B.Png(B.Ihdr(1, 1, 8, 3), idat, iend),
            ["bit depth 4 is not allowed for colour type Rgb"] = B.Png(B.Ihdr(1, 1, 4, 2), idat, iend),
            ["invalid colour type 5"] = B.Png(B.Ihdr(1, 1, 8, 5), idat, iend),
            ["invalid image size 0x1"] = B.Png(B.Ihdr(0, 1, 8, 0), idat, iend),
            ["first chunk is 'IDAT'"] = B.Png(idat, iend),
            ["no IDAT chunk"] = B.Png(B.Ihdr(1, 1, 8, 0), iend),
            ["PLTE chunk is not allowed for colour type Grayscale"] = B.Png(B.Ihdr(1, 1, 8, 0), B.Chunk("PLTE", [1, 2, 3]), idat, iend),
        };

        foreach (var (message, png) in cases)
        {
            var ex = Assert.Throws<InvalidDataException>(() => PngDecoder.Decode(png), message);
            Assert.That(ex!.Message, Does.Contain(message));
        }
    }

    [Test]
    public void RgbWithSuggestedPalette_IgnoresPalette()
    {
        byte[] png = B.Png(B.Ihdr(1, 1, 8, 2), B.Chunk("PLTE", [1, 2, 3]), B.Chunk("IDAT", B.Zlib([0, 9, 8, 7])), B.Chunk("IEND", []));

        PngImage image = PngDecoder.Decode(png);

        Assert.That(image.Palette, Is.Null);
        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 9, 8, 7 }));
    }

    [Test]
    public void MissingFile_IsFileNotFoundNamingPath()
    {
        string path = Path.Combine(Path.GetTempPath(), "no-such-folder-" + Guid.NewGuid().ToString("N"), "x.png");

        var ex = Assert.Throws<FileNotFoundException>(() => PngDecoder.Decode(path));

        Assert.That(ex!.Message, Does.Contain(path));
        Assert.That(ex.FileName, Is.EqualTo(path));
    }

    [Test]
    public void Large4000x3000Gray8_DecodesQuickly()
    {
        const int w = 4000, h = 3000;
        var pixels = new byte[w * h];
        var random = new Random(42);
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                pixels[(y * w) + x] = (byte)(((x / 40) + (y / 30)) % 21 == 0 ? 255 : ((x + y) / 16) + random.Next(4));
            }
        }

        using var encoded = new MemoryStream();
        PngEncoder.WriteGray8(encoded, w, h, pixels);
        byte[] png = encoded.ToArray();
        PngDecoder.Decode(png); // warm-up (JIT)

        var watch = Stopwatch.StartNew();
        PngImage image = PngDecoder.Decode(png);
        watch.Stop();
        TestContext.Out.WriteLine($"4000x3000 gray8: {png.Length} bytes PNG, decoded in {watch.ElapsedMilliseconds} ms");

        Assert.That(image.Samples[(1234 * w) + 567], Is.EqualTo(pixels[(1234 * w) + 567]));
        int firstMismatch = -1;
        for (int i = 0; i < pixels.Length && firstMismatch < 0; i++)
        {
            if (image.Samples[i] != pixels[i])
            {
                firstMismatch = i;
            }
        }

        Assert.That(firstMismatch, Is.EqualTo(-1), "index of the first wrong sample");
        Assert.That(watch.Elapsed.TotalMilliseconds, Is.LessThan(1000));
    }
}
