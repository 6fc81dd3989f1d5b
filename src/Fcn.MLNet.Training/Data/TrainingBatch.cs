namespace Fcn.MLNet.Training.Data;

/// <summary>
/// A batch of N images of one size H×W with their label maps: <see cref="Images"/> planar <c>[N, 3, H, W]</c> already
/// preprocessed as the model expects (channel order, scale, mean, std), <see cref="Labels"/> <c>[N, H, W]</c> row-major.
/// </summary>
public sealed class TrainingBatch
{
    /// <summary>Creates a batch over the given arrays (not copied).</summary>
    /// <exception cref="ArgumentException">An array's length does not match the sizes.</exception>
    public TrainingBatch(int count, int height, int width, float[] images, int[] labels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        long pixels = (long)count * height * width;
        if (images.LongLength != 3 * pixels)
            throw new ArgumentException($"A batch of {count} {width}x{height} images needs {3 * pixels} image values, got {images.LongLength}.", nameof(images));
        if (labels.LongLength != pixels)
            throw new ArgumentException($"A batch of {count} {width}x{height} label maps needs {pixels} labels, got {labels.LongLength}.", nameof(labels));
        Count = count;
        Height = height;
        Width = width;
        Images = images;
        Labels = labels;
    }

    /// <summary>N.</summary>
    public int Count { get; }

    /// <summary>H.</summary>
    public int Height { get; }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <summary>Planar preprocessed pixels, <c>[N, 3, H, W]</c>.</summary>
    public float[] Images { get; }

    /// <summary>Class labels, <c>[N, H, W]</c>; the ignore label marks pixels without a loss.</summary>
    public int[] Labels { get; }
}
