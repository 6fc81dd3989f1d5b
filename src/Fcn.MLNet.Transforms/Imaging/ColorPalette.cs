using System.Collections;

namespace Fcn.MLNet.Imaging;

/// <summary>An ordered list of RGB colours, one per class index, used to draw and to write colour masks.</summary>
public sealed class ColorPalette : IReadOnlyList<(byte R, byte G, byte B)>
{
    private readonly (byte R, byte G, byte B)[] _colors;

    private ColorPalette((byte R, byte G, byte B)[] colors) => _colors = colors;

    /// <summary>Number of colours.</summary>
    public int Count => _colors.Length;

    /// <summary>The colour of class <paramref name="index"/>.</summary>
    public (byte R, byte G, byte B) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_colors.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"Class {index} is outside the palette of {_colors.Length} colours.");
            }

            return _colors[index];
        }
    }

    /// <summary>
    /// The PASCAL VOC colour map: the bits of the class index are dealt out in turn to red, green and blue,
    /// filling each channel from its most significant bit down (class 1 = (128,0,0), 2 = (0,128,0),
    /// 15 = (192,128,128), 255 = (224,224,192)).
    /// </summary>
    /// <param name="count">Number of colours, 1 to 65536 (default 256).</param>
    public static ColorPalette PascalVoc(int count = 256)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, 65536);
        var colors = new (byte R, byte G, byte B)[count];
        for (int label = 0; label < count; label++)
        {
            int r = 0, g = 0, b = 0;
            int bits = label;
            for (int shift = 7; shift >= 0 && bits != 0; shift--)
            {
                r |= (bits & 1) << shift;
                g |= ((bits >> 1) & 1) << shift;
                b |= ((bits >> 2) & 1) << shift;
                bits >>= 3;
            }

            colors[label] = ((byte)r, (byte)g, (byte)b);
        }

        return new ColorPalette(colors);
    }

    /// <summary>A palette holding <paramref name="colors"/> in order (at least one colour).</summary>
    public static ColorPalette FromColors(IEnumerable<(byte R, byte G, byte B)> colors)
    {
        ArgumentNullException.ThrowIfNull(colors);
        var array = colors.ToArray();
        if (array.Length == 0)
        {
            throw new ArgumentException("A palette needs at least one colour.", nameof(colors));
        }

        return new ColorPalette(array);
    }

    /// <summary>A palette from packed RGB triples, such as <see cref="PngImage.Palette"/>.</summary>
    public static ColorPalette FromRgbTriples(ReadOnlySpan<byte> rgb)
    {
        if (rgb.IsEmpty || rgb.Length % 3 != 0)
        {
            throw new ArgumentException($"Expected a non-empty multiple of 3 bytes, got {rgb.Length}.", nameof(rgb));
        }

        var colors = new (byte R, byte G, byte B)[rgb.Length / 3];
        for (int i = 0; i < colors.Length; i++)
        {
            colors[i] = (rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]);
        }

        return new ColorPalette(colors);
    }

    /// <summary>The colours packed as R, G, B bytes (3 * <see cref="Count"/> bytes).</summary>
    public byte[] ToRgbTriples()
    {
        var rgb = new byte[_colors.Length * 3];
        for (int i = 0; i < _colors.Length; i++)
        {
            (rgb[3 * i], rgb[(3 * i) + 1], rgb[(3 * i) + 2]) = _colors[i];
        }

        return rgb;
    }

    /// <summary>Enumerates the colours in class order.</summary>
    public IEnumerator<(byte R, byte G, byte B)> GetEnumerator() => ((IEnumerable<(byte R, byte G, byte B)>)_colors).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
