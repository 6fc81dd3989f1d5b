using Fcn.MLNet.Imaging;
using NUnit.Framework;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class ColorClassTableTests
{
    [Test]
    public void Parse_CommaAndSpaceFormats_WithComments()
    {
        const string text = """
            # CamVid-style table
            0,0,0 0        # void
            128 0 0 1
              64,128 , 64   2
            \t192\t0\t128\t3

            """;

        var table = ColorClassTable.Parse(text.Replace("\\t", "\t", StringComparison.Ordinal));

        Assert.That(table.Count, Is.EqualTo(4));
        Assert.That(table.TryGetClass(128, 0, 0, out int c1) ? c1 : -1, Is.EqualTo(1));
        Assert.That(table.TryGetClass(64, 128, 64, out int c2) ? c2 : -1, Is.EqualTo(2));
        Assert.That(table.TryGetClass(192, 0, 128, out int c3) ? c3 : -1, Is.EqualTo(3));
        Assert.That(table.TryGetClass(0, 0, 0, out int c0) ? c0 : -1, Is.EqualTo(0));
        Assert.That(table.TryGetClass(1, 1, 1, out _), Is.False);
        Assert.That(table.UnknownColorLabel, Is.Null);
    }

    [TestCase("1,2,3", "Line 1: expected 'R,G,B class'")]
    [TestCase("1,2,256 4", "Line 1: colour component \"256\"")]
    [TestCase("# ok\n1,2,3 -4", "Line 2: class \"-4\"")]
    [TestCase("1,2,3 4\n1 2 3 5", "Line 2: colour (1,2,3) is already mapped to class 4")]
    public void Parse_Errors_NameTheLine(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => ColorClassTable.Parse(text));

        Assert.That(ex!.Message, Does.StartWith(expected));
    }

    [Test]
    public void Parse_SameColourSameClassTwice_IsAccepted()
    {
        Assert.That(ColorClassTable.Parse("1,2,3 4\n1 2 3 4").Count, Is.EqualTo(1));
        Assert.That(ColorClassTable.Parse("1,2,3 4\r\n5,6,7 8\r\n").Count, Is.EqualTo(2));
    }

    [Test]
    public void ToPalette_ColoursTheNamedClasses_KeepsTheFallbackForOthers_SmallestColourWinsATie()
    {
        var table = ColorClassTable.Parse("128,128,128 0\n60,40,222 2\n9,9,9 2\n");
        var palette = table.ToPalette();
        Assert.That(palette.Count, Is.EqualTo(3));
        Assert.That(palette[0], Is.EqualTo(((byte)128, (byte)128, (byte)128)));
        Assert.That(palette[1], Is.EqualTo(ColorPalette.PascalVoc()[1]));
        Assert.That(palette[2], Is.EqualTo(((byte)9, (byte)9, (byte)9)));
        Assert.That(table.ToPalette(ColorPalette.PascalVoc()).Count, Is.EqualTo(256));
        Assert.Throws<InvalidOperationException>(() => new ColorClassTable().ToPalette());
    }

    [Test]
    public void FromPalette_MapsColourIToClassI()
    {
        var table = ColorClassTable.FromPalette(ColorPalette.PascalVoc());

        Assert.That(table.Count, Is.EqualTo(256));
        Assert.That(table.TryGetClass(192, 128, 128, out int c15) ? c15 : -1, Is.EqualTo(15));
        Assert.That(table.TryGetClass(224, 224, 192, out int c255) ? c255 : -1, Is.EqualTo(255));
    }

    [Test]
    public void Load_MissingFileAndBadFile()
    {
        using var dir = new TempFolder();
        string path = dir.File("classes.txt");
        Assert.Throws<FileNotFoundException>(() => ColorClassTable.Load(path));

        File.WriteAllText(path, "0 0 0 0\nbad line\n");
        var ex = Assert.Throws<FormatException>(() => ColorClassTable.Load(path));
        Assert.That(ex!.Message, Does.StartWith(path + ": Line 2:"));
    }
}
