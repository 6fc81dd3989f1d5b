using Fcn.MLNet.Training.Data;

namespace Fcn.MLNet.Training.Loss;

/// <summary>How <see cref="MLNet.FcnTrainer"/> weights the classes in the loss.</summary>
public enum ClassBalancing
{
    /// <summary>Every class weighs 1 (the paper), unless explicit class weights are given.</summary>
    None,

    /// <summary>
    /// Median-frequency balancing (Eigen and Fergus 2015, as used by SegNet on CamVid): weight(c) = median_freq / freq(c),
    /// where freq(c) is the pixels of class c divided by the pixels of the images in which c appears.
    /// </summary>
    MedianFrequency,
}

/// <summary>Computes per-class loss weights from a training set's label maps.</summary>
public static class ClassFrequencyWeights
{
    /// <summary>
    /// Median-frequency weights over <paramref name="data"/>: freq(c) = pixels of class c / total (non-ignored) pixels of
    /// the images that contain c, and weight(c) = median of freq over the classes present / freq(c). A class that never
    /// appears gets weight 1 (it has no pixels to weigh).
    /// </summary>
    /// <exception cref="InvalidDataException">A label is neither a class (0…classes−1) nor the ignore label; the message names the sample.</exception>
    public static float[] MedianFrequency(SegmentationDataset data, int classes, int? ignoreLabel)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), "At least one class is needed.");
        var pixels = new long[classes];
        var imagePixels = new long[classes];
        var counts = new long[classes];
        for (int i = 0; i < data.Count; i++)
        {
            Array.Clear(counts);
            long valid = 0;
            foreach (int y in data[i].Labels.Labels)
            {
                if (y == ignoreLabel) continue;
                if ((uint)y >= (uint)classes)
                    throw new InvalidDataException($"{data.Names[i]}: label {y} is not a class (0…{classes - 1}) or the ignore label {ignoreLabel?.ToString() ?? "(none)"}.");
                counts[y]++;
                valid++;
            }
            for (int c = 0; c < classes; c++)
            {
                if (counts[c] == 0) continue;
                pixels[c] += counts[c];
                imagePixels[c] += valid;
            }
        }
        var frequency = new double[classes];
        for (int c = 0; c < classes; c++) frequency[c] = imagePixels[c] == 0 ? double.NaN : (double)pixels[c] / imagePixels[c];
        var present = frequency.Where(f => !double.IsNaN(f)).Order().ToArray();
        if (present.Length == 0) throw new InvalidDataException("Median-frequency balancing: the training masks hold no labelled pixel.");
        double median = present.Length % 2 == 1 ? present[present.Length / 2] : (present[present.Length / 2 - 1] + present[present.Length / 2]) / 2;
        return frequency.Select(f => double.IsNaN(f) ? 1f : (float)(median / f)).ToArray();
    }
}
