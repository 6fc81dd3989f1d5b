using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Surgery;
using Google.Protobuf;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests.Training;

/// <summary>
/// Exporters merge equal-valued initializers (torch.onnx.export in eval mode routes the second use through an
/// Identity): the trainer must train each use apart, as the source framework does. This was the cause of the drift
/// from PyTorch on original-style FCNs, whose two bilinear k4/s2 upsamplings start equal.
/// </summary>
public class SharedWeightTests
{
    private const int Classes = 11;

    /// <summary>
    /// score_fr (1×1) → upscore2 (k4/s2) → BatchNorm → upscore_pool4 (k4/s2) → 1×1 → scores; upscore2 and
    /// upscore_pool4 start from the same bilinear-like kernel. <paramref name="merged"/> stores it once and reads it
    /// a second time through Identity (as torch.onnx.export does), and the BatchNorm's scale is the same tensor as its
    /// running variance; otherwise every use has a tensor of its own.
    /// </summary>
    private static ModelProto Net(bool merged, int seed = 3)
    {
        var rng = new Random(seed);
        float[] Rand(int n, double s, double offset = 0) => Enumerable.Range(0, n).Select(_ => (float)(offset + (rng.NextDouble() * 2 - 1) * s)).ToArray();
        var b = new OnnxGraphBuilder(graphName: "shared");
        b.AddInput("image", DataType.Float, 1, 3, "height", "width");
        var up = Rand(Classes * Classes * 16, 0.2, 0.1);
        var ones = Enumerable.Repeat(1.5f, Classes).ToArray();
        string scoreW = b.AddFloats("score_fr.weight", Rand(Classes * 3, 0.5), Classes, 3, 1, 1);
        string up2W = b.AddFloats("upscore2.weight", up, Classes, Classes, 4, 4);
        string up4W = merged
            ? b.Node("Identity", new[] { up2W })
            : b.AddFloats("upscore_pool4.weight", up, Classes, Classes, 4, 4);
        string bnScale = b.AddFloats("bn.weight", ones, Classes);
        string bnVar = merged ? bnScale : b.AddFloats("bn.running_var", ones, Classes);
        string bnBias = b.AddFloats("bn.bias", Rand(Classes, 0.1), Classes);
        string bnMean = b.AddFloats("bn.running_mean", Rand(Classes, 0.1), Classes);
        string finalW = b.AddFloats("final.weight", Rand(Classes * Classes, 0.3), Classes, Classes, 1, 1);

        string h = b.Node("Conv", new[] { "image", scoreW }, Ints("kernel_shape", 1, 1), Ints("strides", 4, 4));
        h = b.Node("ConvTranspose", new[] { h, up2W }, Ints("kernel_shape", 4, 4), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        h = b.Node("BatchNormalization", new[] { h, bnScale, bnBias, bnMean, bnVar });
        h = b.Node("ConvTranspose", new[] { h, up4W }, Ints("kernel_shape", 4, 4), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1));
        string s = b.NamedNode("Conv", "scores", new[] { h, finalW }, Ints("kernel_shape", 1, 1));
        b.AddOutput(s, DataType.Float, 1, Classes, "height", "width");
        return OnnxModelFile.CreateModel(b.Graph, 13);
    }

    private static SegmentationDataset Data() => TrainingTests.Rectangles(3, 64, 96, seed: 8);

    private static (List<double> Losses, OnnxFcnTrainer Trainer) Train(ModelProto model, bool keepTied = false)
    {
        var trainer = new OnnxFcnTrainer(model.ToByteArray(), new TrainerOptions
        {
            LearningRate = 0.05, Momentum = 0.9, WeightDecay = 5e-4, IgnoreLabel = null, KeepSharedWeightsTied = keepTied,
        });
        var batches = new BatchSampler(Data(), new BatchSamplerOptions { Shuffle = false }).Batches();
        var losses = new List<double>();
        foreach (var batch in batches.Take(6)) losses.Add(trainer.Step(batch));
        return (losses, trainer);
    }

    [Test]
    public void Untie_gives_each_use_its_own_tensor_and_keeps_the_forward_pass()
    {
        var model = Net(merged: true);
        var before = model.Clone();
        var copies = SharedInitializers.Untie(model);
        Assert.That(copies.Select(c => c.Original), Is.EquivalentTo(new[] { "upscore2.weight", "bn.weight" }));
        Assert.That(model.Graph.Node.Select(n => n.OpType), Does.Not.Contain("Identity"));
        var readers = model.Graph.Node.SelectMany(n => n.Input).Where(i => model.Graph.Initializer.Any(t => t.Name == i)).ToList();
        Assert.That(readers, Is.Unique, "every initializer is read by one input");

        var image = Enumerable.Range(0, 3 * 32 * 40).Select(i => (float)Math.Sin(i * 0.37)).ToArray();
        Assert.That(Fcn.MLNet.Tests.Support.Ort.Run(model, image, 1, 3, 32, 40).Values, Is.EqualTo(Fcn.MLNet.Tests.Support.Ort.Run(before, image, 1, 3, 32, 40).Values));
    }

    [Test]
    public void A_model_whose_exporter_merged_equal_weights_trains_like_the_same_model_with_separate_weights()
    {
        var (merged, mergedTrainer) = Train(Net(merged: true));
        var (separate, separateTrainer) = Train(Net(merged: false));
        using (mergedTrainer)
        using (separateTrainer)
        {
            TestContext.Out.WriteLine(string.Join(" ", merged.Select(l => l.ToString("F6"))));
            Assert.That(merged, Is.EqualTo(separate).Within(1e-6), "per-iteration losses");
            Assert.That(mergedTrainer.UntiedWeights.Values, Is.EquivalentTo(new[] { "upscore2.weight", "bn.weight" }));
            // The running variance stays what it was: only the scale trains.
            Assert.That(mergedTrainer.Parameters.Select(p => p.Name), Has.No.Member("bn.running_var"));
            var exported = OnnxModelFile.Parse(mergedTrainer.ExportModel());
            var variance = exported.Graph.Node.Single(n => n.OpType == "BatchNormalization").Input[4];
            Assert.That(OnnxTensor.ReadFloats(exported.Graph.Initializer.Single(t => t.Name == variance)), Is.All.EqualTo(1.5f));
            var up2 = exported.Graph.Node.Where(n => n.OpType == "ConvTranspose").Select(n => n.Input[1]).ToList();
            Assert.That(up2.Distinct().Count(), Is.EqualTo(2));
            var a = OnnxTensor.ReadFloats(exported.Graph.Initializer.Single(t => t.Name == up2[0]));
            var c = OnnxTensor.ReadFloats(exported.Graph.Initializer.Single(t => t.Name == up2[1]));
            Assert.That(a, Is.Not.EqualTo(c), "the two upsamplings learned apart");
        }
    }

    [Test]
    public void KeepSharedWeightsTied_trains_one_tensor_with_the_summed_gradient_of_its_uses()
    {
        using var tied = new OnnxFcnTrainer(Net(merged: true).ToByteArray(), new TrainerOptions { IgnoreLabel = null, KeepSharedWeightsTied = true });
        using var apart = new OnnxFcnTrainer(Net(merged: false).ToByteArray(), new TrainerOptions { IgnoreLabel = null });
        var batch = new BatchSampler(Data(), new BatchSamplerOptions { Shuffle = false }).Batches().First();
        tied.ComputeLossAndGradients(batch);
        apart.ComputeLossAndGradients(batch);
        var g = tied.Parameters.Single(p => p.Name == "upscore2.weight").Gradient;
        var g2 = apart.Parameters.Single(p => p.Name == "upscore2.weight").Gradient;
        var g4 = apart.Parameters.Single(p => p.Name == "upscore_pool4.weight").Gradient;
        double scale = g.Max(Math.Abs);
        for (int i = 0; i < g.Length; i++) Assert.That(g[i], Is.EqualTo(g2[i] + g4[i]).Within(1e-5 * scale));
        Assert.That(tied.UntiedWeights, Is.Empty);
    }

    [TestCase(Fcn.MLNet.Training.Architectures.FcnArchitecture.Fcn32s)]
    [TestCase(Fcn.MLNet.Training.Architectures.FcnArchitecture.Fcn8s)]
    public void Nets_built_here_share_no_float_tensor(Fcn.MLNet.Training.Architectures.FcnArchitecture architecture)
    {
        // So the CamVid runs (FcnHeads on the NuGet ResNet18) never trained a tied weight.
        var fcn = Fcn.MLNet.Training.Architectures.FcnHeads.Build(Fcn.MLNet.Training.Architectures.Backbone.ResNet18(), architecture, 11);
        Assert.That(SharedInitializers.Untie(fcn), Is.Empty);
    }
}
