using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fcn.MLNet.Evaluation;

/// <summary>
/// The FCN paper's metrics (Section 5) over one dataset-wide confusion matrix n_ij, with the reference
/// implementation's NaN semantics: a class with no ground-truth pixels drops out of mean accuracy, and a class that
/// is neither present nor predicted drops out of mean IU (its per-class value is NaN). All values are fractions in [0, 1].
/// </summary>
public sealed class SemanticSegmentationMetrics
{
    internal SemanticSegmentationMetrics(SegmentationConfusionMatrix matrix, IReadOnlyList<string>? classNames)
    {
        ConfusionMatrix = matrix;
        ClassNames = classNames;
        int n = matrix.NumberOfClasses;
        var acc = new double[n];
        var iu = new double[n];
        double correct = 0, total = 0, weighted = 0;
        for (int i = 0; i < n; i++)
        {
            double nii = matrix[i, i], ti = matrix.TruthCount(i), pi = matrix.PredictedCount(i);
            acc[i] = ti > 0 ? nii / ti : double.NaN;
            double union = ti + pi - nii;
            iu[i] = union > 0 ? nii / union : double.NaN;
            correct += nii;
            total += ti;
            if (ti > 0) weighted += ti * iu[i];
        }
        PerClassAccuracy = acc;
        PerClassIU = iu;
        PixelAccuracy = total > 0 ? correct / total : double.NaN;
        MeanAccuracy = NanMean(acc);
        MeanIU = NanMean(iu);
        FrequencyWeightedIU = total > 0 ? weighted / total : double.NaN;
    }

    /// <summary>Σ_i n_ii / Σ_i t_i.</summary>
    public double PixelAccuracy { get; }

    /// <summary>(1/n_cl) Σ_i n_ii / t_i over classes with ground truth.</summary>
    public double MeanAccuracy { get; }

    /// <summary>(1/n_cl) Σ_i n_ii / (t_i + Σ_j n_ji − n_ii) over classes present or predicted.</summary>
    public double MeanIU { get; }

    /// <summary>(Σ_k t_k)^−1 Σ_i t_i n_ii / (t_i + Σ_j n_ji − n_ii).</summary>
    public double FrequencyWeightedIU { get; }

    /// <summary>IU per class; NaN for a class neither present nor predicted.</summary>
    public IReadOnlyList<double> PerClassIU { get; }

    /// <summary>Accuracy (recall) per class; NaN for a class with no ground-truth pixels.</summary>
    public IReadOnlyList<double> PerClassAccuracy { get; }

    /// <summary>The confusion matrix the metrics were computed from.</summary>
    public SegmentationConfusionMatrix ConfusionMatrix { get; }

    /// <summary>Class names, when known.</summary>
    public IReadOnlyList<string>? ClassNames { get; }

    /// <summary>
    /// JSON with <c>pixelAccuracy, meanAccuracy, meanIU, frequencyWeightedIU, perClassIU, perClassAccuracy,
    /// confusionMatrix</c> (and <c>classNames</c> when known); a class that drops out is <c>null</c>.
    /// </summary>
    public string ToJson(bool indented = true)
    {
        var o = new JsonObject
        {
            ["pixelAccuracy"] = Num(PixelAccuracy),
            ["meanAccuracy"] = Num(MeanAccuracy),
            ["meanIU"] = Num(MeanIU),
            ["frequencyWeightedIU"] = Num(FrequencyWeightedIU),
            ["perClassIU"] = new JsonArray(PerClassIU.Select(Num).ToArray()),
            ["perClassAccuracy"] = new JsonArray(PerClassAccuracy.Select(Num).ToArray()),
            ["confusionMatrix"] = new JsonArray(ConfusionMatrix.ToArray()
                .Select(row => (JsonNode?)new JsonArray(row.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray())).ToArray()),
        };
        if (ClassNames is not null) o["classNames"] = new JsonArray(ClassNames.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray());
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = indented });
    }

    /// <summary>A table of the four metrics and per-class IU, in percent like the paper.</summary>
    public override string ToString()
    {
        var sb = new System.Text.StringBuilder();
        sb.AppendLine(FormattableString.Invariant($"pixel acc {100 * PixelAccuracy:F1}  mean acc {100 * MeanAccuracy:F1}  mean IU {100 * MeanIU:F1}  f.w. IU {100 * FrequencyWeightedIU:F1}"));
        for (int i = 0; i < PerClassIU.Count; i++)
        {
            string name = ClassNames is not null && i < ClassNames.Count ? ClassNames[i] : $"class {i}";
            string value = double.IsNaN(PerClassIU[i]) ? "  —" : FormattableString.Invariant($"{100 * PerClassIU[i],5:F1}");
            sb.AppendLine($"  {name,-20} IU {value}");
        }
        return sb.ToString();
    }

    private static JsonNode? Num(double v) => double.IsNaN(v) ? null : JsonValue.Create(v);

    private static double NanMean(double[] values)
    {
        double sum = 0;
        int count = 0;
        foreach (var v in values)
            if (!double.IsNaN(v)) { sum += v; count++; }
        return count > 0 ? sum / count : double.NaN;
    }
}
