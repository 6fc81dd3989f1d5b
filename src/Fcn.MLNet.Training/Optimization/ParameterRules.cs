using System.Text.Json;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Optimization;

/// <summary>How one parameter trains, as Caffe's <c>param { lr_mult decay_mult }</c>: multipliers of the base learning
/// rate and weight decay. A rule replaces the bias defaults (<see cref="TrainerOptions.BiasLearningRateMultiplier"/>,
/// <see cref="TrainerOptions.BiasWeightDecayMultiplier"/>) for its parameter.</summary>
/// <param name="LearningRateMultiplier">lr_mult.</param>
/// <param name="WeightDecayMultiplier">decay_mult.</param>
public sealed record ParameterRule(double LearningRateMultiplier = 1, double WeightDecayMultiplier = 1);

/// <summary>
/// Per-parameter training rules recorded in the model's metadata, so a saved base model trains the same way wherever
/// it is trained (<see cref="OnnxFcnTrainer"/> reads them): the frozen parameters (<c>fcn.frozen_parameters</c>, a JSON
/// list of names; e.g. the fixed bilinear <c>upscore8</c>) and the multipliers (<c>fcn.parameter_rules</c>, a JSON
/// object name → {lr_mult, decay_mult}).
/// </summary>
public static class ParameterRules
{
    /// <summary>Metadata key of the frozen parameter names.</summary>
    public const string FrozenKey = "fcn.frozen_parameters";

    /// <summary>Metadata key of the per-parameter multipliers.</summary>
    public const string RulesKey = "fcn.parameter_rules";

    private sealed record Stored(double lr_mult = 1, double decay_mult = 1);

    /// <summary>The frozen parameter names recorded in <paramref name="model"/> (empty when none are).</summary>
    public static IReadOnlyList<string> Frozen(ModelProto model) =>
        OnnxModelFile.GetMetadata(model, FrozenKey) is { } json
            ? JsonSerializer.Deserialize<string[]>(json) ?? Array.Empty<string>()
            : Array.Empty<string>();

    /// <summary>Records <paramref name="names"/> as the frozen parameters of <paramref name="model"/>.</summary>
    public static void SetFrozen(ModelProto model, IEnumerable<string> names) =>
        OnnxModelFile.SetMetadata(model, FrozenKey, JsonSerializer.Serialize(names.ToArray()));

    /// <summary>The multipliers recorded in <paramref name="model"/>, by parameter name.</summary>
    /// <exception cref="InvalidDataException">The metadata is not a JSON object of {lr_mult, decay_mult} rules.</exception>
    public static IReadOnlyDictionary<string, ParameterRule> Multipliers(ModelProto model)
    {
        if (OnnxModelFile.GetMetadata(model, RulesKey) is not { } json) return new Dictionary<string, ParameterRule>();
        try
        {
            var stored = JsonSerializer.Deserialize<Dictionary<string, Stored>>(json) ?? new();
            return stored.ToDictionary(kv => kv.Key, kv => Checked(kv.Key, new ParameterRule(kv.Value.lr_mult, kv.Value.decay_mult)), StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model metadata '{RulesKey}' is not a JSON object of {{\"lr_mult\", \"decay_mult\"}} rules: {e.Message}", e);
        }
    }

    /// <summary>Records <paramref name="rules"/> in <paramref name="model"/> (replacing earlier ones).</summary>
    public static void SetMultipliers(ModelProto model, IReadOnlyDictionary<string, ParameterRule> rules) =>
        OnnxModelFile.SetMetadata(model, RulesKey, JsonSerializer.Serialize(
            rules.ToDictionary(kv => kv.Key, kv => new Stored(Checked(kv.Key, kv.Value).LearningRateMultiplier, kv.Value.WeightDecayMultiplier))));

    private static ParameterRule Checked(string name, ParameterRule r) =>
        r.LearningRateMultiplier >= 0 && double.IsFinite(r.LearningRateMultiplier) && r.WeightDecayMultiplier >= 0 && double.IsFinite(r.WeightDecayMultiplier)
            ? r
            : throw new InvalidDataException($"Parameter rule of '{name}': lr_mult and decay_mult must be finite and ≥ 0, got {r.LearningRateMultiplier} and {r.WeightDecayMultiplier}.");
}
