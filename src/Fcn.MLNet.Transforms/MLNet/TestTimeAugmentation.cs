using System.Globalization;

namespace Fcn.MLNet;

/// <summary>
/// Test-time augmentation for <see cref="SegmentFcnOptions.TestTimeAugmentation"/>: the image is scored at each of
/// <see cref="Scales"/> (resized bilinearly), and mirrored too when <see cref="HorizontalFlip"/> is set; each variant's
/// scores are resized to the image, mirrored back, turned into class probabilities (softmax) and averaged before the
/// argmax — MMSegmentation's multi-scale/flip test. The score column then holds the averaged probability of the
/// winning class.
/// </summary>
public sealed record TestTimeAugmentation
{
    /// <summary>Largest number of variants (scales × flips) one image is scored with.</summary>
    public const int MaxVariants = 16;

    /// <summary>Also score the left–right mirrored image at each scale.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>Image scale factors, each in (0, 4] (e.g. 0.75, 1, 1.25); default: 1 alone.</summary>
    public IReadOnlyList<double> Scales { get; init; } = new[] { 1.0 };

    /// <summary>(scale, mirrored) for every variant, the unaugmented image first when it is one of them.</summary>
    public IReadOnlyList<(double Scale, bool Mirrored)> Variants =>
        Scales.OrderBy(s => s == 1 ? 0 : 1).SelectMany(s => HorizontalFlip ? new[] { (s, false), (s, true) } : new[] { (s, false) }).ToList();

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate()
    {
        if (Scales is null || Scales.Count == 0) throw new ArgumentException("Test-time augmentation needs at least one scale (TestTimeAugmentation.Scales, --tta-scales).");
        foreach (double s in Scales)
            if (!(s > 0 && s <= 4)) throw new ArgumentException($"Test-time augmentation scales must be in (0, 4], got {s} (--tta-scales).");
        if (Scales.Distinct().Count() != Scales.Count) throw new ArgumentException($"Test-time augmentation scales repeat: {string.Join(",", Scales)} (--tta-scales).");
        if (Variants.Count > MaxVariants)
            throw new ArgumentException($"Test-time augmentation would score each image {Variants.Count} times; at most {MaxVariants} (scales × flips) are allowed.");
    }

    /// <summary>The options of <c>--tta-scales a,b,c</c> and <c>--tta-flip</c>; null when neither is given.</summary>
    /// <exception cref="FormatException">A scale is not a number.</exception>
    public static TestTimeAugmentation? Parse(string? scales, bool flip)
    {
        if (scales is null && !flip) return null;
        var parsed = scales is null ? new[] { 1.0 } : scales.Split(',').Select(s => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v)
            ? v : throw new FormatException($"--tta-scales: '{s}' is not a number (e.g. --tta-scales 0.75,1,1.25).")).ToArray();
        var tta = new TestTimeAugmentation { HorizontalFlip = flip, Scales = parsed };
        tta.Validate();
        return tta;
    }
}
