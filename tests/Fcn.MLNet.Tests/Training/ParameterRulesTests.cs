using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Optimization;
using Fcn.MLNet.Tests.Training.Support;
using Google.Protobuf;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Frozen flags and lr/decay multipliers recorded in the model train the same way in any trainer.</summary>
public class ParameterRulesTests
{
    [Test]
    public void Recorded_frozen_parameters_and_multipliers_are_honoured_by_the_engine()
    {
        var model = TinyFcns.Small(3, seed: 4);
        ParameterRules.SetFrozen(model, new[] { "conv1.bias" });
        ParameterRules.SetMultipliers(model, new Dictionary<string, ParameterRule>
        {
            ["score.weight"] = new(LearningRateMultiplier: 10, WeightDecayMultiplier: 0),
            ["score.bias"] = new(LearningRateMultiplier: 0.5, WeightDecayMultiplier: 3),
        });
        var reread = Fcn.MLNet.Onnx.OnnxModelFile.Parse(model.ToByteArray());
        Assert.That(ParameterRules.Frozen(reread), Is.EqualTo(new[] { "conv1.bias" }));

        using var trainer = new OnnxFcnTrainer(reread.ToByteArray(), new TrainerOptions { BiasLearningRateMultiplier = 2, BiasWeightDecayMultiplier = 0 });
        var byName = trainer.Parameters.ToDictionary(p => p.Name);
        Assert.That(byName.Keys, Is.EquivalentTo(new[] { "conv1.weight", "score.weight", "score.bias" }), "conv1.bias is frozen by the model");
        Assert.That((byName["score.weight"].LearningRateMultiplier, byName["score.weight"].WeightDecayMultiplier), Is.EqualTo((10f, 0f)));
        Assert.That((byName["score.bias"].LearningRateMultiplier, byName["score.bias"].WeightDecayMultiplier), Is.EqualTo((0.5f, 3f)), "the rule replaces the bias defaults");
        Assert.That((byName["conv1.weight"].LearningRateMultiplier, byName["conv1.weight"].WeightDecayMultiplier), Is.EqualTo((1f, 1f)));

        var before = Fcn.MLNet.Onnx.OnnxTensor.ReadFloats(reread.Graph.Initializer.Single(t => t.Name == "conv1.bias"));
        trainer.Step(new BatchSampler(TrainingTests.Rectangles(2, 8, 8, seed: 3)).Batches().First());
        var exported = Fcn.MLNet.Onnx.OnnxModelFile.Parse(trainer.ExportModel());
        var after = Fcn.MLNet.Onnx.OnnxTensor.ReadFloats(exported.Graph.Initializer.Single(t => t.Name == "conv1.bias"));
        Assert.That(after, Is.EqualTo(before), "a frozen parameter is exported unchanged");
    }

    [Test]
    public void A_bad_rule_is_an_error_naming_the_parameter()
    {
        var model = TinyFcns.Small(3, seed: 4);
        Fcn.MLNet.Onnx.OnnxModelFile.SetMetadata(model, ParameterRules.RulesKey, "{\"score.weight\": {\"lr_mult\": -1}}");
        var e = Assert.Throws<InvalidDataException>(() => new OnnxFcnTrainer(model.ToByteArray()));
        Assert.That(e!.Message, Does.Contain("score.weight").And.Contain("lr_mult"));
    }
}
