using Fcn.MLNet.Imaging;
using NUnit.Framework;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class ColorPaletteTests
{
    [TestCase(0, 0, 0, 0)]
    [TestCase(1, 128, 0, 0)]
    [TestCase(2, 0, 128, 0)]
    [TestCase(3, 128, 128, 0)]
    [TestCase(15, 192, 128, 128)]
    [TestCase(20, 0, 64, 128)]
    [TestCase(255, 224, 224, 192)]
    public void PascalVoc_KnownColours(int label, int r, int g, int b)
    {
        var palette = ColorPalette.PascalVoc();

        Assert.That(palette.Count, Is.EqualTo(256));
        Assert.That(palette[label], Is.EqualTo(((byte)r, (byte)g, (byte)b)));
    }

    [Test]
    public void PascalVoc_FirstColoursAreDistinct_AndCountIsRespected()
    {
        var palette = ColorPalette.PascalVoc(21);

        Assert.That(palette.Count, Is.EqualTo(21));
        Assert.That(palette.Distinct().Count(), Is.EqualTo(21));
        Assert.That(ColorPalette.PascalVoc().Distinct().Count(), Is.EqualTo(256));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = palette[21]);
        Assert.Throws<ArgumentOutOfRangeException>(() => ColorPalette.PascalVoc(0));
    }

    [Test]
    public void ToRgbTriples_And_FromColors_RoundTrip()
    {
        var palette = ColorPalette.FromColors([(1, 2, 3), (250, 251, 252)]);

        byte[] triples = palette.ToRgbTriples();

        Assert.That(triples, Is.EqualTo(new byte[] { 1, 2, 3, 250, 251, 252 }));
        Assert.That(ColorPalette.FromRgbTriples(triples).ToList(), Is.EqualTo(palette.ToList()));
        Assert.That(ColorPalette.PascalVoc(3).ToRgbTriples(), Is.EqualTo(new byte[] { 0, 0, 0, 128, 0, 0, 0, 128, 0 }));
        Assert.Throws<ArgumentException>(() => ColorPalette.FromColors([]));
        Assert.Throws<ArgumentException>(() => ColorPalette.FromRgbTriples([1, 2]));
    }
}
