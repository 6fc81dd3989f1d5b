using Fcn.MLNet.Imaging;
using NUnit.Framework;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class MaskWriterTests
{
    private TempFolder _dir = null!;

    [SetUp]
    public void SetUp() => _dir = new TempFolder();

    [TearDown]
    public void TearDown() => _dir.Dispose();

    private string[] LeftoverTempFiles() => Directory.GetFiles(_dir.Path, "*.tmp-*", SearchOption.AllDirectories);

    [Test]
    public void WriteIndexPng_8Bit_RoundTrips_AndLeavesNoTempFiles()
    {
        var map = new LabelMap(3, 5, Enumerable.Range(0, 15).Select(i => i * 17).ToArray());
        string path = _dir.File("index.png");

        MaskWriter.WriteIndexPng(path, map);

        PngImage image = PngDecoder.Decode(path);
        Assert.That((image.ColorType, image.BitDepth), Is.EqualTo((PngColorType.Grayscale, 8)));
        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(map.Labels));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void WriteIndexPng_LabelAbove255_Writes16Bit()
    {
        var map = new LabelMap(2, 1, [0, 300]);
        string path = _dir.File("sub/dir/index16.png");

        MaskWriter.WriteIndexPng(path, map);

        Assert.That(PngDecoder.Decode(path).BitDepth, Is.EqualTo(16));
        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(new[] { 0, 300 }));
    }

    [Test]
    public void WriteIndexPng_NegativeLabel_ThrowsAndKeepsPreviousFile()
    {
        string path = _dir.File("keep.png");
        MaskWriter.WriteIndexPng(path, new LabelMap(1, 1, [7]));
        byte[] before = File.ReadAllBytes(path);

        var ex = Assert.Throws<ArgumentException>(() => MaskWriter.WriteIndexPng(path, new LabelMap(2, 1, [0, -1])));

        Assert.That(ex!.Message, Does.Contain("Label -1 at pixel (1, 0)"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void WriteColorPng_IsIndexedWithPaletteColours()
    {
        var palette = ColorPalette.PascalVoc(21);
        var map = new LabelMap(257, 3, Enumerable.Range(0, 257 * 3).Select(i => i % 21).ToArray());
        string path = _dir.File("color.png");

        MaskWriter.WriteColorPng(path, map, palette);

        PngImage image = PngDecoder.Decode(path);
        Assert.That(image.ColorType, Is.EqualTo(PngColorType.Indexed));
        Assert.That(image.Palette, Is.EqualTo(palette.ToRgbTriples()));
        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(map.Labels));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }

    [Test]
    public void WriteColorPng_LabelOutsidePalette_ThrowsAndKeepsPreviousFile()
    {
        var palette = ColorPalette.PascalVoc(21);
        string path = _dir.File("color.png");
        MaskWriter.WriteColorPng(path, new LabelMap(1, 1, [3]), palette);
        byte[] before = File.ReadAllBytes(path);

        var ex = Assert.Throws<ArgumentException>(() => MaskWriter.WriteColorPng(path, new LabelMap(2, 2, [0, 1, 2, 21]), palette));

        Assert.That(ex!.Message, Does.Contain("Label 21 at pixel (1, 1) has no palette colour: the palette has 21 colours"));
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(before));
    }

    [Test]
    public void WriteOverlay_BlendsColours_AndKeepsIgnoredPixels()
    {
        var palette = ColorPalette.PascalVoc();
        byte[] rgb = [100, 100, 100, 100, 100, 100, 10, 20, 30];
        var map = new LabelMap(3, 1, [1, 255, 0]);
        string path = _dir.File("overlay.png");

        MaskWriter.WriteOverlay(path, 3, 1, rgb, map, palette, alpha: 0.5f, ignoreLabel: 255);

        PngImage image = PngDecoder.Decode(path);
        Assert.That(image.ColorType, Is.EqualTo(PngColorType.Rgb));
        // (100 + 128) / 2 = 114, (100 + 0) / 2 = 50; label 255 ignored; class 0 is black: (5, 10, 15).
        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 114, 50, 50, 100, 100, 100, 5, 10, 15 }));
    }

    [Test]
    public void WriteOverlay_AlphaOneIsPureClassColour_AlphaZeroIsImage()
    {
        var palette = ColorPalette.PascalVoc();
        byte[] rgb = [1, 2, 3, 200, 201, 202];
        var map = new LabelMap(1, 2, [15, 2]);

        MaskWriter.WriteOverlay(_dir.File("a1.png"), 1, 2, rgb, map, palette, alpha: 1f);
        MaskWriter.WriteOverlay(_dir.File("a0.png"), 1, 2, rgb, map, palette, alpha: 0f);

        Assert.That(PngDecoder.Decode(_dir.File("a1.png")).Samples, Is.EqualTo(new ushort[] { 192, 128, 128, 0, 128, 0 }));
        Assert.That(PngDecoder.Decode(_dir.File("a0.png")).Samples, Is.EqualTo(new ushort[] { 1, 2, 3, 200, 201, 202 }));
    }

    [Test]
    public void WriteOverlay_SizeMismatch_MessageGivesBothSizes()
    {
        var map = new LabelMap(5, 3);

        var ex = Assert.Throws<ArgumentException>(
            () => MaskWriter.WriteOverlay(_dir.File("o.png"), 4, 3, new byte[36], map, ColorPalette.PascalVoc()));

        Assert.That(ex!.Message, Does.Contain("The image is 4x3 but the label map is 5x3"));
        Assert.That(File.Exists(_dir.File("o.png")), Is.False);
        Assert.Throws<ArgumentException>(() => MaskWriter.WriteOverlay(_dir.File("o.png"), 5, 3, new byte[44], map, ColorPalette.PascalVoc()));
        Assert.Throws<ArgumentOutOfRangeException>(() => MaskWriter.WriteOverlay(_dir.File("o.png"), 5, 3, new byte[45], map, ColorPalette.PascalVoc(), 1.5f));
    }

    [Test]
    public void WriteComparison_PutsImageTruthAndPredictionSideBySide_IgnoredTruthIsBlack()
    {
        var palette = ColorPalette.FromColors(new (byte, byte, byte)[] { (10, 20, 30), (200, 100, 50) });
        byte[] rgb = [1, 2, 3, 4, 5, 6];
        var truth = new LabelMap(2, 1, [1, 255]);
        var prediction = new LabelMap(2, 1, [0, 1]);

        MaskWriter.WriteComparison(_dir.File("c.png"), 2, 1, rgb, truth, prediction, palette, ignoreLabel: 255);

        var image = PngDecoder.Decode(_dir.File("c.png"));
        Assert.That((image.Width, image.Height), Is.EqualTo((6, 1)));
        Assert.That(image.Samples, Is.EqualTo(new ushort[] { 1, 2, 3, 4, 5, 6, 200, 100, 50, 0, 0, 0, 10, 20, 30, 200, 100, 50 }));
        var e = Assert.Throws<ArgumentException>(() => MaskWriter.WriteComparison(_dir.File("d.png"), 2, 1, rgb, truth, new LabelMap(1, 2, [0, 1]), palette, 255));
        Assert.That(e!.Message, Does.Contain("prediction is 1x2"));
        Assert.Throws<ArgumentException>(() => MaskWriter.WriteComparison(_dir.File("d.png"), 2, 1, rgb, truth, prediction, palette, ignoreLabel: null));
        Assert.That(File.Exists(_dir.File("d.png")), Is.False);
    }

    [Test]
    public void Write_OverwritesExistingFile_WithoutTempLeftovers()
    {
        string path = _dir.File("m.png");
        MaskWriter.WriteIndexPng(path, new LabelMap(1, 1, [1]));
        MaskWriter.WriteIndexPng(path, new LabelMap(2, 1, [2, 3]));

        Assert.That(MaskReader.Read(path).Labels, Is.EqualTo(new[] { 2, 3 }));
        Assert.That(Directory.GetFiles(_dir.Path), Is.EqualTo(new[] { path }));
    }

    [Test]
    public void Write_TargetIsAFolder_FailsAndDeletesTempFile()
    {
        string path = _dir.File("taken");
        Directory.CreateDirectory(path);

        Assert.Catch<IOException>(() => MaskWriter.WriteIndexPng(path, new LabelMap(1, 1, [1])));

        Assert.That(LeftoverTempFiles(), Is.Empty);
        Assert.That(Directory.Exists(path), Is.True);
    }

    [Test]
    public void AtomicFile_FailureMidWrite_KeepsPreviousFileAndDeletesTemp()
    {
        string path = _dir.File("atomic.bin");
        File.WriteAllBytes(path, [1, 2, 3]);

        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, s =>
        {
            s.Write(new byte[1000]);
            throw new InvalidOperationException("disk on fire");
        }));

        Assert.That(File.ReadAllBytes(path), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(LeftoverTempFiles(), Is.Empty);
    }
}
