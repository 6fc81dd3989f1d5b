namespace Fcn.MLNet.Training.Loss;

/// <summary>
/// Per-class pixel statistics of a training set, gathered one label map at a time (so the maps need not be in memory
/// together): the pixels of each class, and the labelled pixels of the images in which each class appears.
/// </summary>
public sealed class ClassPixelCounts
{
    private readonly long[] _pixels;
    private readonly long[] _imagePixels;
    private readonly long[] _scratch;
    private readonly int? _ignoreLabel;

    /// <summary>Counts for <paramref name="classes"/> classes; <paramref name="ignoreLabel"/> pixels are skipped.</summary>
    public ClassPixelCounts(int classes, int? ignoreLabel)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes), "At least one class is needed.");
        _pixels = new long[classes];
        _imagePixels = new long[classes];
        _scratch = new long[classes];
        _ignoreLabel = ignoreLabel;
    }

    /// <summary>
    /// Adds one label map of rows <paramref name="width"/> wide; <paramref name="source"/> names it in errors. This is
    /// where training labels are checked: a label that is neither a class nor the ignore label is an error naming the
    /// map, the pixel and the settings.
    /// </summary>
    /// <exception cref="InvalidDataException">A label is neither a class nor the ignore label.</exception>
    public void Add(ReadOnlySpan<int> labels, int width, string source)
    {
        int classes = _pixels.Length;
        Array.Clear(_scratch);
        long valid = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            int y = labels[i];
            if (y == _ignoreLabel) continue;
            if ((uint)y >= (uint)classes)
                throw new InvalidDataException($"{source}: label {y} is not a class at pixel ({i % width}, {i / width}), but there are {classes} classes " +
                    $"(labels 0–{classes - 1}) and the ignore label is {_ignoreLabel?.ToString() ?? "none"} (NumberOfClasses / --num-classes, IgnoreLabel / --ignore-label).");
            _scratch[y]++;
            valid++;
        }
        for (int c = 0; c < classes; c++)
        {
            if (_scratch[c] == 0) continue;
            _pixels[c] += _scratch[c];
            _imagePixels[c] += valid;
        }
    }

    /// <summary>
    /// Median-frequency weights (see <see cref="ClassBalancing.MedianFrequency"/>): freq(c) = pixels of c / labelled
    /// pixels of the images that contain c; weight(c) = median of freq over the classes present / freq(c); a class that
    /// never appears weighs 1.
    /// </summary>
    /// <exception cref="InvalidDataException">No labelled pixel was added.</exception>
    public float[] MedianFrequencyWeights()
    {
        var frequency = new double[_pixels.Length];
        for (int c = 0; c < frequency.Length; c++) frequency[c] = _imagePixels[c] == 0 ? double.NaN : (double)_pixels[c] / _imagePixels[c];
        var present = frequency.Where(f => !double.IsNaN(f)).Order().ToArray();
        if (present.Length == 0) throw new InvalidDataException("Median-frequency balancing: the training masks hold no labelled pixel.");
        double median = present.Length % 2 == 1 ? present[present.Length / 2] : (present[present.Length / 2 - 1] + present[present.Length / 2]) / 2;
        return frequency.Select(f => double.IsNaN(f) ? 1f : (float)(median / f)).ToArray();
    }
}
