namespace Fcn.MLNet.Imaging;

/// <summary>
/// Reads PNG segmentation masks into <see cref="LabelMap"/>s:
/// grayscale (any bit depth) and grayscale+alpha masks give the gray value as the class;
/// indexed masks give the palette index as the class (as in PASCAL VOC SegmentationClass, where 255
/// marks boundaries to ignore; indices are not checked against the palette size); RGB and RGBA masks are mapped through a <see cref="ColorClassTable"/>
/// (16-bit samples use their high byte, alpha is ignored). A <see cref="LabelMapping"/>, when given, then maps those
/// values to classes (Cityscapes labelIds → train ids, ADE20K's 0 → 255 and 1–150 → 0–149) — the one place datasets'
/// stored ids become classes, for training, evaluation and comparisons alike.
/// </summary>
public static class MaskReader
{
    /// <summary>Reads the mask PNG at <paramref name="path"/>.</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="colors">Colour-to-class table, required for RGB/RGBA masks and ignored for the other colour types.</param>
    /// <param name="mapping">Maps the values read to classes (null: the values are the classes).</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid PNG, is an RGB mask without a table, holds a colour missing from the
    /// table while <see cref="ColorClassTable.UnknownColorLabel"/> is null, or holds a value above 255 while a
    /// <paramref name="mapping"/> is given. The message names the file.
    /// </exception>
    public static LabelMap Read(string path, ColorClassTable? colors = null, LabelMapping? mapping = null)
    {
        PngImage image = PngDecoder.Decode(path);
        return FromImage(image, colors, path, mapping);
    }

    /// <summary>Converts a decoded PNG into a label map by the rules of <see cref="MaskReader"/>.</summary>
    /// <param name="image">The decoded mask.</param>
    /// <param name="colors">Colour-to-class table for RGB/RGBA masks.</param>
    /// <param name="sourceName">Name used at the start of error messages (for example the file path).</param>
    /// <param name="mapping">Maps the values read to classes (null: the values are the classes).</param>
    /// <exception cref="InvalidDataException">
    /// An RGB mask without a table, a colour missing from the table, or a value above 255 with a mapping.
    /// </exception>
    public static LabelMap FromImage(PngImage image, ColorClassTable? colors = null, string? sourceName = null, LabelMapping? mapping = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        string source = string.IsNullOrEmpty(sourceName) ? "mask" : sourceName;
        var labels = new int[(long)image.Width * image.Height];
        ushort[] samples = image.Samples;
        int channels = image.Channels;

        switch (image.ColorType)
        {
            case PngColorType.Grayscale:
            case PngColorType.Indexed:
            case PngColorType.GrayscaleAlpha:
                for (int i = 0; i < labels.Length; i++)
                {
                    labels[i] = samples[(long)i * channels];
                }

                break;

            case PngColorType.Rgb:
            case PngColorType.Rgba:
                if (colors is null)
                {
                    throw new InvalidDataException(
                        $"{source}: {image.ColorType} mask needs a colour table (ColorClassTable) to map colours to classes");
                }

                MapColors(image, colors, labels, source);
                break;

            default:
                throw new InvalidDataException($"{source}: unsupported colour type {image.ColorType}");
        }

        if (mapping is { IsIdentity: false })
        {
            mapping.Apply(labels, image.Width, source);
        }

        return new LabelMap(image.Width, image.Height, labels);
    }

    private static void MapColors(PngImage image, ColorClassTable colors, int[] labels, string source)
    {
        ushort[] samples = image.Samples;
        int channels = image.Channels;
        int shift = image.BitDepth == 16 ? 8 : 0;

        // Masks are mostly runs of one colour, so remember the last lookup.
        int lastKey = -1;
        int lastClass = 0;
        for (int i = 0; i < labels.Length; i++)
        {
            long s = (long)i * channels;
            byte r = (byte)(samples[s] >> shift);
            byte g = (byte)(samples[s + 1] >> shift);
            byte b = (byte)(samples[s + 2] >> shift);
            int key = (r << 16) | (g << 8) | b;
            if (key != lastKey)
            {
                if (!colors.TryGetClass(r, g, b, out lastClass))
                {
                    lastClass = colors.UnknownColorLabel ?? throw new InvalidDataException(
                        $"{source}: colour ({r},{g},{b}) at pixel ({i % image.Width}, {i / image.Width}) is not in the colour table");
                }

                lastKey = key;
            }

            labels[i] = lastClass;
        }
    }
}
