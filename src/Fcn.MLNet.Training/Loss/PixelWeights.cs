namespace Fcn.MLNet.Training.Loss;

/// <summary>
/// Turns a batch of label maps into what the training graph consumes: labels with ignored pixels set to 0, and one
/// weight per pixel. The loss is the weighted mean of the per-pixel softmax cross-entropy
/// <c>L = Σᵢ mᵢ·c[yᵢ]·ℓᵢ / Σᵢ mᵢ·c[yᵢ]</c> over every pixel i of the batch, where mᵢ is 0 for an ignored pixel
/// (label = ignore label) or one dropped by loss sampling and 1 otherwise, and c are the class weights (all 1 by
/// default). This is PyTorch's <c>CrossEntropyLoss(weight=c, ignore_index=…, reduction="mean")</c>. When every pixel is
/// ignored every weight is 0: the loss and the gradient are 0.
/// </summary>
public static class PixelWeights
{
    /// <summary>
    /// Fills <paramref name="cleanLabels"/> and <paramref name="weights"/> from <paramref name="labels"/>;
    /// returns the number of pixels that count (mᵢ = 1).
    /// </summary>
    /// <param name="labels">Labels of every pixel of the batch.</param>
    /// <param name="classes">Number of classes C.</param>
    /// <param name="ignoreLabel">Label of pixels without a loss (e.g. 255), or null.</param>
    /// <param name="classWeights">Per-class weights c (length C), or null for 1.</param>
    /// <param name="sampleFraction">Probability of keeping a pixel (loss sampling); 1 keeps all.</param>
    /// <param name="random">Source of the sampling decisions.</param>
    /// <param name="cleanLabels">Receives the labels, ignored ones as 0.</param>
    /// <param name="weights">Receives the normalised weights mᵢ·c[yᵢ] / Σ mⱼ·c[yⱼ].</param>
    /// <exception cref="InvalidDataException">A label is outside [0, C) and is not the ignore label.</exception>
    public static int Fill(ReadOnlySpan<int> labels, int classes, int? ignoreLabel, float[]? classWeights,
        double sampleFraction, Random random, Span<long> cleanLabels, Span<float> weights)
    {
        var (counted, total) = FillUnnormalized(labels, classes, ignoreLabel, classWeights, sampleFraction, random, cleanLabels, weights);
        Normalize(weights, total);
        return counted;
    }

    /// <summary>
    /// <see cref="Fill"/> without the division: <paramref name="weights"/> receive mᵢ·c[yᵢ]; returns the pixels that
    /// count and Σ mᵢ·c[yᵢ]. Data-parallel training sums the totals of all ranks before <see cref="Normalize"/>, so the
    /// loss is the mean over the whole global batch.
    /// </summary>
    internal static (int Counted, double Total) FillUnnormalized(ReadOnlySpan<int> labels, int classes, int? ignoreLabel, float[]? classWeights,
        double sampleFraction, Random random, Span<long> cleanLabels, Span<float> weights)
    {
        if (classWeights is not null && classWeights.Length != classes)
            throw new ArgumentException($"{classWeights.Length} class weights given for {classes} classes.", nameof(classWeights));
        double total = 0;
        int counted = 0;
        bool sample = sampleFraction < 1.0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            if (y == ignoreLabel)
            {
                cleanLabels[i] = 0;
                weights[i] = 0f;
                continue;
            }
            if ((uint)y >= (uint)classes)
                throw new InvalidDataException(
                    $"Pixel {i} of the batch has label {y}, outside [0, {classes}) and not the ignore label ({ignoreLabel?.ToString() ?? "none"}).");
            cleanLabels[i] = y;
            if (sample && random.NextDouble() >= sampleFraction)
            {
                weights[i] = 0f;
                continue;
            }
            float c = classWeights?[y] ?? 1f;
            weights[i] = c;
            total += c;
            counted++;
        }
        return (counted, total);
    }

    /// <summary>Divides <paramref name="weights"/> by <paramref name="total"/> (Σ mᵢ·c[yᵢ]); all 0 when it is 0.</summary>
    internal static void Normalize(Span<float> weights, double total)
    {
        if (total > 0)
        {
            float scale = (float)(1.0 / total);
            for (int i = 0; i < weights.Length; i++) weights[i] *= scale;
        }
        else weights.Clear();
    }

    /// <summary>Pixels that are not ignored: each takes one draw of loss sampling, in order.</summary>
    internal static int SamplingDraws(ReadOnlySpan<int> labels, int? ignoreLabel)
    {
        if (ignoreLabel is not int ignore) return labels.Length;
        int n = 0;
        foreach (int y in labels) if (y != ignore) n++;
        return n;
    }
}
