namespace Fcn.MLNet.Imaging;

/// <summary>A per-pixel class index map (a segmentation mask), stored row-major.</summary>
public sealed class LabelMap
{
    /// <summary>Creates a label map over an existing array of <paramref name="width"/> * <paramref name="height"/> labels (not copied).</summary>
    /// <exception cref="ArgumentException">The array length is not width * height.</exception>
    public LabelMap(int width, int height, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height;
        if (labels.LongLength != expected)
        {
            throw new ArgumentException(
                $"A {width}x{height} label map needs {expected} labels, got {labels.LongLength}.", nameof(labels));
        }

        Width = width;
        Height = height;
        Labels = labels;
    }

    /// <summary>Creates a label map of <paramref name="width"/> x <paramref name="height"/> pixels, all labelled 0.</summary>
    public LabelMap(int width, int height)
        : this(width, height, Allocate(width, height))
    {
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The class index of every pixel, row-major (index = y * Width + x).</summary>
    public int[] Labels { get; }

    /// <summary>Gets or sets the label of the pixel at (<paramref name="x"/>, <paramref name="y"/>).</summary>
    public int this[int x, int y]
    {
        get => Labels[Index(x, y)];
        set => Labels[Index(x, y)] = value;
    }

    private static int[] Allocate(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        return new int[checked((long)width * height)];
    }

    private int Index(int x, int y)
    {
        if ((uint)x >= (uint)Width || (uint)y >= (uint)Height)
        {
            throw new ArgumentOutOfRangeException(nameof(x), $"Pixel ({x}, {y}) is outside the {Width}x{Height} label map.");
        }

        return (y * Width) + x;
    }
}
