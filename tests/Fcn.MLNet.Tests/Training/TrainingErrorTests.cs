using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Autodiff;
using Fcn.MLNet.Tests.Training.Support;
using Google.Protobuf;
using static Fcn.MLNet.Onnx.OnnxAttribute;

namespace Fcn.MLNet.Tests.Training;

/// <summary>What the trainer refuses, and how it says so.</summary>
public class TrainingErrorTests
{
    private static (GradientCheck G, string W1, string W2, string Scores) ConvTanhConv()
    {
        var g = new GradientCheck(91, 1, 3, 5, 5);
        string w1 = g.Param("w1", new[] { 4, 3, 3, 3 });
        string w2 = g.Param("w2", new[] { 2, 4, 1, 1 });
        string h = g.B.Node("Conv", new[] { g.Image, w1 }, Ints("kernel_shape", 3, 3));
        var tanh = g.B.Node("Tanh", new[] { h }, 1, "squash")[0];
        g.B.Graph.Node[^1].Name = "my_tanh";
        string s = g.B.Node("Conv", new[] { tanh, w2 }, Ints("kernel_shape", 1, 1));
        return (g, w1, w2, s);
    }

    [Test]
    public void An_unsupported_op_on_the_gradient_path_is_an_error_naming_op_and_node()
    {
        var (g, w1, w2, s) = ConvTanhConv();
        var ex = Assert.Throws<UnsupportedOperatorException>(() => GradientGraphBuilder.Build(g.Model(s), new[] { w1, w2 }, g.ImageShape));
        Assert.That(ex!.OpType, Is.EqualTo("Tanh"));
        Assert.That(ex.NodeName, Is.EqualTo("my_tanh"));
        Assert.That(ex.Message, Does.Contain("'Tanh'").And.Contain("'my_tanh'"));
    }

    [Test]
    public void Prepare_reports_an_unsupported_op_before_any_data_is_loaded()
    {
        var (g, _, _, s) = ConvTanhConv();
        using var trainer = new OnnxFcnTrainer(g.Model(s).ToByteArray());
        var ex = Assert.Throws<UnsupportedOperatorException>(() => trainer.Prepare(1, 5, 5));
        Assert.That(ex!.NodeName, Is.EqualTo("my_tanh"));
        using var frozen = new OnnxFcnTrainer(g.Model(s).ToByteArray(), new TrainerOptions { IsFrozen = n => n == "w1" });
        Assert.That(frozen.Prepare(1, 5, 5), Is.EqualTo(2));
        Assert.That(frozen.Classes, Is.EqualTo(2));
    }

    [Test]
    public void An_unsupported_op_before_the_frozen_layers_is_fine()
    {
        var (g, _, w2, s) = ConvTanhConv();
        var graph = GradientGraphBuilder.Build(g.Model(s), new[] { w2 }, g.ImageShape);
        Assert.That(graph.Parameters.Select(p => p.Name), Is.EqualTo(new[] { w2 }));
    }

    [Test]
    public void An_opset_outside_13_to_17_is_refused_with_the_opset_in_the_message()
    {
        var model = TinyFcns.Small(3, 1);
        model.OpsetImport[0].Version = 11;
        var ex = Assert.Throws<NotSupportedException>(() => new OnnxFcnTrainer(model.ToByteArray()));
        Assert.That(ex!.Message, Does.Contain("opset 11"));
    }

    [Test]
    public void A_batch_shape_the_fixed_image_input_cannot_take_is_refused_before_running()
    {
        var (g, w1, w2, s) = ConvTanhConv(); // image declared [1, 3, 5, 5]
        var ex = Assert.Throws<ArgumentException>(() => GradientGraphBuilder.Build(g.Model(s), new[] { w2 }, new long[] { 2, 3, 5, 5 }));
        Assert.That(ex!.Message, Does.Contain("[1, 3, 5, 5]").And.Contain("[2, 3, 5, 5]"));
    }

    [Test]
    public void Freezing_every_parameter_is_an_error()
    {
        var ex = Assert.Throws<ArgumentException>(() => new OnnxFcnTrainer(TinyFcns.Small(3, 1).ToByteArray(), new TrainerOptions { IsFrozen = _ => true }));
        Assert.That(ex!.Message, Does.Contain("nothing to train"));
    }

    [Test]
    public void Training_a_running_statistic_or_a_missing_name_is_refused()
    {
        var g = new GradientCheck(92, 1, 3, 4, 4);
        string x = g.Param("x", new[] { 1, 2, 4, 4 });
        var ex = Assert.Throws<ArgumentException>(() => GradientGraphBuilder.Build(g.Model(x), new[] { "nope" }, g.ImageShape));
        Assert.That(ex!.Message, Does.Contain("'nope'"));
    }

    [Test]
    public void Parameters_are_the_float_initializers_in_differentiable_slots()
    {
        var g = new GradientCheck(93, 1, 3, 4, 4);
        string w = g.Param("w", new[] { 2, 3, 1, 1 });
        string scale = g.Param("bn_scale", new[] { 2 }), bias = g.Param("bn_bias", new[] { 2 });
        string mean = g.Frozen("bn_mean", new[] { 2 }), variance = g.Frozen("bn_var", new[] { 2 }, 0.1, 1);
        string h = g.B.Node("Conv", new[] { g.Image, w }, Ints("kernel_shape", 1, 1));
        string bn = g.B.Node("BatchNormalization", new[] { h, scale, bias, mean, variance });
        string up = g.B.Node("Resize", new[] { bn, "", g.B.AddFloats("scales", new[] { 1f, 1f, 2f, 2f }, 4) }, String("mode", "linear"));
        Assert.That(ParameterDiscovery.Find(g.Model(up)), Is.EqualTo(new[] { w, scale, bias }));
        Assert.That(ParameterDiscovery.Biases(g.Model(up)), Does.Contain(bias));
    }

    [Test]
    public void Float_constants_of_shape_arithmetic_are_not_parameters()
    {
        // torch-style size computation: Cast(Shape(x)) · [2.0] → Floor → Cast → Resize sizes. The [2.0] initializer
        // feeds a Mul, but nothing differentiable leads from it to the scores, so weight decay must never touch it.
        var g = new GradientCheck(94, 1, 3, 4, 4);
        string w = g.Param("w", new[] { 2, 3, 1, 1 });
        string h = g.B.Node("Conv", new[] { g.Image, w }, Ints("kernel_shape", 1, 1));
        string size = g.B.Node("Cast", new[] { g.B.Node("Shape", new[] { h }) }, Int("to", 1));
        string doubled = g.B.Node("Mul", new[] { size, g.B.AddFloats("two", new[] { 1f, 1f, 2f, 2f }, 4) });
        string sizes = g.B.Node("Cast", new[] { g.B.Node("Floor", new[] { doubled }) }, Int("to", 7));
        string up = g.B.Node("Resize", new[] { h, "", "", sizes }, String("mode", "nearest"));
        Assert.That(ParameterDiscovery.Find(g.Model(up)), Is.EqualTo(new[] { w }));
    }

    [Test]
    public void A_class_count_that_contradicts_the_model_is_an_error()
    {
        // The model's output declares no class count (dynamic): only the training graph knows it is 3.
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 1).ToByteArray(), new TrainerOptions { NumberOfClasses = 11 });
        var ex = Assert.Throws<InvalidDataException>(() => trainer.Prepare(1, 6, 6));
        Assert.That(ex!.Message, Does.Contain("scores 3 classes but 11 were asked for"));
    }

    [Test]
    public void A_non_finite_loss_or_update_stops_the_step_and_does_not_count_it()
    {
        var data = TrainingTests.Rectangles(2, 8, 8, seed: 1);
        var batch = new Fcn.MLNet.Training.Data.BatchSampler(data).Batches().First();
        using var trainer = new OnnxFcnTrainer(TinyFcns.Small(3, seed: 1).ToByteArray(), new TrainerOptions { LearningRate = 1e38, Momentum = 0 });
        var ex = Assert.Throws<TrainingDivergedException>(() => { for (int i = 0; i < 5; i++) trainer.Step(batch); });
        Assert.That(ex!.Message, Does.StartWith($"Training diverged at iteration {trainer.Iteration + 1}:").And.Contain("Lower the learning rate"));
        Assert.That(trainer.Iteration, Is.LessThan(5));
    }

    [Test]
    public void Without_an_ignore_label_a_sample_that_needs_padding_is_an_error_not_a_silent_255()
    {
        var data = TrainingTests.Rectangles(2, 8, 8, seed: 1);
        var fits = new Fcn.MLNet.Training.Data.BatchSampler(data, new() { IgnoreLabel = null, CropSize = (6, 6) }).Batches().First();
        Assert.That(fits.Labels, Has.None.EqualTo(255));
        var pads = new Fcn.MLNet.Training.Data.BatchSampler(data, new() { IgnoreLabel = null, CropSize = (10, 12) });
        var ex = Assert.Throws<InvalidOperationException>(() => pads.Batches().First());
        Assert.That(ex!.Message, Does.Contain("8x8 sample must be padded to 12x10").And.Contain("no ignore label"));
    }
}
