using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.MLNet.Tests;

/// <summary>The bilinear upsampling of FCNs run as a grouped ConvTranspose: the same scores, on a real ResNet18 FCN.</summary>
public class DiagonalUpsamplingTests
{
    [TestCase(FcnArchitecture.Fcn32s, 1)] // the ×32 upsampling, 21 × 21 × 64 × 64, bilinear on the diagonal only
    [TestCase(FcnArchitecture.Fcn8s, 3)]  // freshly built, all three upsamplings are still bilinear
    public void A_diagonal_ConvTranspose_becomes_grouped_and_scores_the_same(FcnArchitecture architecture, int expected)
    {
        var fcn = FcnHeads.Build(Backbone.ResNet18(), architecture, 21);
        ScoreLayers.Randomize(fcn, seed: 3, scale: 0.01f); // so the upsampled maps are not all zero
        var grouped = fcn.Clone();
        Assert.That(DiagonalUpsampling.Apply(grouped.Graph), Is.EqualTo(expected));
        Assert.That(grouped.Graph.Node.Where(n => n.OpType == "ConvTranspose").All(n => n.Attribute.Any(a => a.Name == "group" && a.I == 21)));

        var x = Ort.Random(3 * 160 * 224, seed: 5, scale: 100f);
        var (before, shape) = Ort.Run(fcn, x, 1, 3, 160, 224);
        var (after, shape2) = Ort.Run(grouped, x, 1, 3, 160, 224);
        Assert.That(shape2, Is.EqualTo(shape));
        double scale = before.Max(v => Math.Abs(v));
        Assert.That(scale, Is.GreaterThan(0));
        Assert.That(Enumerable.Range(0, before.Length).Max(i => Math.Abs(before[i] - after[i])), Is.LessThanOrEqualTo(1e-5 * scale));
    }

    [Test]
    public void A_ConvTranspose_that_mixes_classes_is_left_alone()
    {
        var fcn = FcnHeads.Build(Backbone.ResNet18(), FcnArchitecture.Fcn32s, 21);
        var upscore = fcn.Graph.Initializer.Single(t => fcn.Graph.Node.Any(n => n.OpType == "ConvTranspose" && n.Input[1] == t.Name));
        var w = OnnxTensor.ReadFloats(upscore);
        w[64 * 64 + 5] = 1e-7f; // weight [0, 1, 0, 5]: class 1 feeds class 0
        upscore.RawData = Google.Protobuf.ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(w.AsSpan()));
        Assert.That(DiagonalUpsampling.Apply(fcn.Graph), Is.Zero);
    }
}
