using Fcn.MLNet.Imaging;
using NUnit.Framework;
using B = Fcn.MLNet.Tests.Imaging.PngTestBuilder;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class MaskReaderTests
{
    private TempFolder _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempFolder();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string Write(string name, Action<Stream> write)
    {
        string path = _dir.File(name);
        using (var stream = File.Create(path))
        {
            write(stream);
        }

        return path;
    }

    [Test]
    public void IndexedVocMask_PaletteIndexIsTheClass_Including255Boundary()
    {
        byte[] indices = [0, 15, 255, 1, 20, 0];
        string path = Write("voc.png", s => PngEncoder.WriteIndexed8(s, 3, 2, indices, ColorPalette.PascalVoc().ToRgbTriples()));

        LabelMap map = MaskReader.Read(path);

        Assert.That((map.Width, map.Height), Is.EqualTo((3, 2)));
        Assert.That(map.Labels, Is.EqualTo(new[] { 0, 15, 255, 1, 20, 0 }));
        Assert.That(map[2, 0], Is.EqualTo(255));
    }

    [Test]
    public void GrayscaleIndexMasks_8And16And4Bit()
    {
        string p8 = Write("g8.png", s => PngEncoder.WriteGray8(s, 2, 2, [0, 1, 2, 200]));
        string p16 = Write("g16.png", s => PngEncoder.WriteGray16(s, 2, 1, [300, 65535]));
        string p4 = _dir.File("g4.png");
        File.WriteAllBytes(p4, B.Build(3, 1, PngColorType.Grayscale, 4, [5, 0, 15], false, (p, j) => 0));

        Assert.That(MaskReader.Read(p8).Labels, Is.EqualTo(new[] { 0, 1, 2, 200 }));
        Assert.That(MaskReader.Read(p16).Labels, Is.EqualTo(new[] { 300, 65535 }));
        Assert.That(MaskReader.Read(p4).Labels, Is.EqualTo(new[] { 5, 0, 15 }));
    }

    [Test]
    public void GrayscaleAlpha_UsesGrayValue()
    {
        string path = _dir.File("ga.png");
        File.WriteAllBytes(path, B.Build(2, 1, PngColorType.GrayscaleAlpha, 8, [7, 255, 3, 0], false, (p, j) => 1));

        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(new[] { 7, 3 }));
    }

    [Test]
    public void RgbMask_WithTable_MapsColours()
    {
        var table = ColorClassTable.Parse("0,0,0 0\n128,0,0 1\n0 128 0 2");
        byte[] rgb = [128, 0, 0, 0, 0, 0, 0, 128, 0, 0, 128, 0];
        string path = Write("rgb.png", s => PngEncoder.WriteRgb8(s, 2, 2, rgb));
        string rgbaPath = Write("rgba.png", s => PngEncoder.WriteRgba8(s, 1, 2, [0, 128, 0, 255, 128, 0, 0, 10]));

        Assert.That(MaskReader.Read(path, table).Labels, Is.EqualTo(new[] { 1, 0, 2, 2 }));
        Assert.That(MaskReader.Read(rgbaPath, table).Labels, Is.EqualTo(new[] { 2, 1 }));
    }

    [Test]
    public void Rgb16Mask_UsesHighByte()
    {
        var table = ColorClassTable.FromPalette(ColorPalette.PascalVoc(21));
        string path = _dir.File("rgb16.png");
        ushort[] samples = [0x80FF, 0x0012, 0x0000, 0xC000, 0x80AB, 0x8001];
        File.WriteAllBytes(path, B.Build(2, 1, PngColorType.Rgb, 16, samples, false, (p, j) => 4));

        Assert.That(MaskReader.Read(path, table).Labels, Is.EqualTo(new[] { 1, 15 }));
    }

    [Test]
    public void RgbMask_WithoutTable_ErrorNamesFile()
    {
        string path = Write("rgb.png", s => PngEncoder.WriteRgb8(s, 1, 1, [1, 2, 3]));

        var ex = Assert.Throws<InvalidDataException>(() => MaskReader.Read(path));

        Assert.That(ex!.Message, Does.StartWith(path + ": Rgb mask needs a colour table"));
    }

    [Test]
    public void RgbMask_UnknownColour_ErrorNamesFileColourAndPixel()
    {
        var table = ColorClassTable.FromPalette(ColorPalette.PascalVoc(21));
        byte[] rgb = [0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7, 8, 9];
        string path = Write("bad.png", s => PngEncoder.WriteRgb8(s, 3, 2, rgb));

        var ex = Assert.Throws<InvalidDataException>(() => MaskReader.Read(path, table));

        Assert.That(ex!.Message, Is.EqualTo($"{path}: colour (7,8,9) at pixel (2, 1) is not in the colour table"));
    }

    [Test]
    public void RgbMask_UnknownColour_WithUnknownColorLabel_UsesIt()
    {
        var table = ColorClassTable.FromPalette(ColorPalette.PascalVoc(21));
        table.UnknownColorLabel = 255;
        string path = Write("unknown.png", s => PngEncoder.WriteRgb8(s, 2, 1, [7, 8, 9, 128, 0, 0]));

        Assert.That(MaskReader.Read(path, table).Labels, Is.EqualTo(new[] { 255, 1 }));
    }

    [Test]
    public void MissingFile_IsFileNotFoundNamingPath()
    {
        string path = _dir.File("missing.png");

        var ex = Assert.Throws<FileNotFoundException>(() => MaskReader.Read(path));

        Assert.That(ex!.Message, Does.Contain(path));
    }

    [Test]
    public void FromImage_UsesSourceNameInErrors()
    {
        var image = new PngImage(1, 1, PngColorType.Rgb, 8, [1, 2, 3]);

        var ex = Assert.Throws<InvalidDataException>(() => MaskReader.FromImage(image, null, "camvid/0001.png"));

        Assert.That(ex!.Message, Does.StartWith("camvid/0001.png: "));
    }
}
