using Fcn.MLNet.Imaging;
using NUnit.Framework;

namespace Fcn.MLNet.Tests.Imaging;

[TestFixture]
public class LabelMapTests
{
    [Test]
    public void Constructor_ValidatesLength_AndIndexerIsRowMajor()
    {
        var map = new LabelMap(3, 2, [0, 1, 2, 3, 4, 5]);

        Assert.That(map[2, 1], Is.EqualTo(5));
        map[0, 1] = 9;
        Assert.That(map.Labels[3], Is.EqualTo(9));
        var ex = Assert.Throws<ArgumentException>(() => _ = new LabelMap(3, 2, new int[5]));
        Assert.That(ex!.Message, Does.Contain("needs 6 labels, got 5"));
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = map[3, 0]);
        Assert.Throws<ArgumentOutOfRangeException>(() => _ = new LabelMap(0, 2));
        Assert.That(new LabelMap(4, 4).Labels, Has.Length.EqualTo(16).And.All.EqualTo(0));
    }
}
