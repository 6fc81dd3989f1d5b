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
        var counts = new ClassPixelCounts(classes, ignoreLabel);
        for (int i = 0; i < data.Count; i++)
        {
            var labels = data[i].Labels;
            counts.Add(labels.Labels, labels.Width, data.Names[i]);
        }
        return counts.MedianFrequencyWeights();
    }
}
