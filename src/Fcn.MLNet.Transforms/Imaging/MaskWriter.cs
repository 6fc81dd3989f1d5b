namespace Fcn.MLNet.Imaging;

/// <summary>
/// Writes label maps as PNG files: index masks (gray value = class), colour masks (indexed PNG whose
/// palette is the class colours) and overlays of class colours on an image. Every write is atomic:
/// the PNG is written to a temporary file in the target folder and renamed over the target, so a
/// failed write leaves any previous file unchanged. Missing folders are created.
/// </summary>
public static class MaskWriter
{
    /// <summary>
    /// Writes <paramref name="labels"/> as a grayscale PNG whose gray value is the class index: 8-bit when
    /// every label is at most 255, 16-bit otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">A label is negative or above 65535.</exception>
    public static void WriteIndexPng(string path, LabelMap labels)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        int[] values = labels.Labels;
        int max = 0;
        for (int i = 0; i < values.Length; i++)
        {
            int label = values[i];
            if (label < 0 || label > ushort.MaxValue)
            {
                throw new ArgumentException(
                    $"Label {label} at pixel ({i % labels.Width}, {i / labels.Width}) cannot be stored in a grayscale PNG (must be 0 to 65535).",
                    nameof(labels));
            }

            max = Math.Max(max, label);
        }

        if (max <= byte.MaxValue)
        {
            var gray = new byte[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                gray[i] = (byte)values[i];
            }

            AtomicFile.Write(path, s => PngEncoder.WriteGray8(s, labels.Width, labels.Height, gray));
        }
        else
        {
            var gray = new ushort[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                gray[i] = (ushort)values[i];
            }

            AtomicFile.Write(path, s => PngEncoder.WriteGray16(s, labels.Width, labels.Height, gray));
        }
    }

    /// <summary>
    /// Writes <paramref name="labels"/> as an 8-bit indexed PNG whose palette is <paramref name="palette"/>
    /// (its first 256 colours), so the file shows the class colours and, read as indexed, is the class map.
    /// </summary>
    /// <exception cref="ArgumentException">A label is negative or has no colour in the (at most 256-entry) palette.</exception>
    public static void WriteColorPng(string path, LabelMap labels, ColorPalette palette)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(palette);
        int entries = Math.Min(palette.Count, 256);
        int[] values = labels.Labels;
        var indices = new byte[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int label = values[i];
            if ((uint)label >= (uint)entries)
            {
                string limit = palette.Count > 256 ? "an indexed PNG holds at most 256 colours" : $"the palette has {palette.Count} colours";
                throw new ArgumentException(
                    $"Label {label} at pixel ({i % labels.Width}, {i / labels.Width}) has no palette colour: {limit}.", nameof(labels));
            }

            indices[i] = (byte)label;
        }

        byte[] rgb = palette.ToRgbTriples();
        Array.Resize(ref rgb, entries * 3);
        AtomicFile.Write(path, s => PngEncoder.WriteIndexed8(s, labels.Width, labels.Height, indices, rgb));
    }

    /// <summary>
    /// Writes an RGB PNG that blends the image <paramref name="rgb"/> with the class colours:
    /// out = (1 - alpha) * image + alpha * colour, rounded. Pixels labelled <paramref name="ignoreLabel"/>
    /// keep the image colour.
    /// </summary>
    /// <param name="path">Target file.</param>
    /// <param name="width">Image width; must equal the label map width.</param>
    /// <param name="height">Image height; must equal the label map height.</param>
    /// <param name="rgb">The image as R, G, B bytes, row-major (width * height * 3 bytes).</param>
    /// <param name="labels">Class of each pixel.</param>
    /// <param name="palette">Colour of each class.</param>
    /// <param name="alpha">Weight of the class colour, 0 to 1.</param>
    /// <param name="ignoreLabel">A label whose pixels are left uncoloured (for example 255 in PASCAL VOC).</param>
    /// <exception cref="ArgumentException">Sizes differ, or a label has no palette colour.</exception>
    public static void WriteOverlay(
        string path, int width, int height, ReadOnlySpan<byte> rgb, LabelMap labels, ColorPalette palette, float alpha = 0.5f, int? ignoreLabel = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(palette);
        if (!(alpha >= 0f && alpha <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "Alpha must be between 0 and 1.");
        }

        if (width != labels.Width || height != labels.Height)
        {
            throw new ArgumentException(
                $"The image is {width}x{height} but the label map is {labels.Width}x{labels.Height}.", nameof(labels));
        }

        long expected = (long)width * height * 3;
        if (rgb.Length != expected)
        {
            throw new ArgumentException(
                $"A {width}x{height} RGB image needs {expected} bytes, got {rgb.Length}.", nameof(rgb));
        }

        byte[] colors = palette.ToRgbTriples();
        int weight = (int)MathF.Round(alpha * 256f);
        int keep = 256 - weight;
        int[] values = labels.Labels;
        var output = new byte[rgb.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int label = values[i];
            int p = 3 * i;
            if (label == ignoreLabel)
            {
                output[p] = rgb[p];
                output[p + 1] = rgb[p + 1];
                output[p + 2] = rgb[p + 2];
                continue;
            }

            if ((uint)label >= (uint)palette.Count)
            {
                throw new ArgumentException(
                    $"Label {label} at pixel ({i % width}, {i / width}) has no colour in the palette of {palette.Count} colours.", nameof(labels));
            }

            int c = 3 * label;
            for (int k = 0; k < 3; k++)
            {
                output[p + k] = (byte)(((rgb[p + k] * keep) + (colors[c + k] * weight) + 128) >> 8);
            }
        }

        AtomicFile.Write(path, s => PngEncoder.WriteRgb8(s, width, height, output));
    }

    /// <summary>
    /// Writes a side-by-side RGB PNG for reviewing a prediction: the image, the ground truth in class colours and the
    /// prediction in class colours, each <paramref name="width"/>×<paramref name="height"/>. Ground-truth pixels labelled
    /// <paramref name="ignoreLabel"/> are drawn black.
    /// </summary>
    /// <exception cref="ArgumentException">Sizes differ, or a label has no palette colour.</exception>
    public static void WriteComparison(
        string path, int width, int height, ReadOnlySpan<byte> rgb, LabelMap truth, LabelMap prediction, ColorPalette palette, int? ignoreLabel = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(truth);
        ArgumentNullException.ThrowIfNull(prediction);
        ArgumentNullException.ThrowIfNull(palette);
        RequireSize(truth, width, height, "ground truth", nameof(truth));
        RequireSize(prediction, width, height, "prediction", nameof(prediction));
        if (rgb.Length != (long)width * height * 3)
            throw new ArgumentException($"A {width}x{height} RGB image needs {(long)width * height * 3} bytes, got {rgb.Length}.", nameof(rgb));

        int stride = 3 * width * 3;
        var output = new byte[stride * height];
        for (int y = 0; y < height; y++)
        {
            rgb.Slice(3 * width * y, 3 * width).CopyTo(output.AsSpan(stride * y));
            for (int x = 0; x < width; x++)
            {
                int i = (y * width) + x;
                int t = truth.Labels[i], p = prediction.Labels[i];
                if (t != ignoreLabel) Paint(output, (stride * y) + (3 * (width + x)), t, palette, x, y);
                Paint(output, (stride * y) + (3 * ((2 * width) + x)), p, palette, x, y);
            }
        }

        AtomicFile.Write(path, s => PngEncoder.WriteRgb8(s, 3 * width, height, output));
    }

    private static void RequireSize(LabelMap map, int width, int height, string role, string parameter)
    {
        if (map.Width != width || map.Height != height)
            throw new ArgumentException($"The image is {width}x{height} but the {role} is {map.Width}x{map.Height}.", parameter);
    }

    private static void Paint(byte[] output, int offset, int label, ColorPalette palette, int x, int y)
    {
        if ((uint)label >= (uint)palette.Count)
            throw new ArgumentException($"Label {label} at pixel ({x}, {y}) has no colour in the palette of {palette.Count} colours.", nameof(palette));
        (output[offset], output[offset + 1], output[offset + 2]) = palette[label];
    }
}
