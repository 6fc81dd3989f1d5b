using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fcn.MLNet.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Scoring;

/// <summary>One scored image: its path and its class map.</summary>
public sealed record SegmentedImage(string ImagePath, LabelMap ClassMap);

/// <summary>A row holding the path of an image file: the input of every Fcn.MLNet model zip.</summary>
public sealed class ImagePathRow
{
    /// <summary>Name of the path column in saved models.</summary>
    public const string ColumnName = "ImagePath";

    /// <summary>Absolute or working-directory-relative image path.</summary>
    public string ImagePath { get; set; } = "";
}

/// <summary>An image path and its ground-truth mask path: the rows training and evaluation read.</summary>
public sealed class ImageMaskRow
{
    /// <summary>Image file path.</summary>
    public string ImagePath { get; set; } = "";

    /// <summary>Mask file path (index, palette or RGB PNG).</summary>
    public string Label { get; set; } = "";
}

/// <summary>Batch scoring of image files with a fitted or loaded segmentation pipeline.</summary>
public static class SegmentationScoring
{
    /// <summary>
    /// The pipeline <c>LoadImages(ImagePath) → SegmentFcn</c> fitted for <paramref name="options"/>: the model
    /// form that <c>fcn import</c> saves and <see cref="Score"/> runs.
    /// </summary>
    public static TransformerChain<ITransformer> BuildFilePipeline(MLContext ml, SegmentFcnOptions options)
    {
        options = options.Clone();
        options.InputColumnName = "Image";
        var empty = ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>());
        var chain = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: ImagePathRow.ColumnName)
            .Append(ml.Transforms.SegmentFcn(options))
            .Fit(empty);
        return new TransformerChain<ITransformer>(chain.Cast<ITransformer>().ToArray());
    }

    /// <summary>
    /// Streams class maps for <paramref name="imagePaths"/> through <paramref name="model"/>, whose input must be
    /// a text column <c>ImagePath</c>. One image is held at a time.
    /// </summary>
    public static IEnumerable<SegmentedImage> Score(MLContext ml, ITransformer model, IEnumerable<string> imagePaths,
        string outputColumnName = "Segmentation")
    {
        var data = ml.Data.LoadFromEnumerable(imagePaths.Select(p => new ImagePathRow { ImagePath = p }));
        var scored = model.Transform(data);
        var map = scored.Schema.GetColumnOrNull(outputColumnName)
            ?? throw new InvalidOperationException($"The model gives no column '{outputColumnName}'; it gives {string.Join(", ", scored.Schema.Select(c => c.Name))}.");
        var height = scored.Schema[outputColumnName + "Height"];
        var width = scored.Schema[outputColumnName + "Width"];
        var path = scored.Schema[ImagePathRow.ColumnName];
        // One cursor, rows in order: ML.NET would otherwise split the rows over parallel cursors, running several
        // ONNX Runtime sessions at once, each with a thread per core, and oversubscribe the machine.
        using var cursor = scored.GetRowCursorSet(new[] { map, height, width, path }, n: 1).Single();
        var getMap = cursor.GetGetter<VBuffer<int>>(map);
        var getHeight = cursor.GetGetter<int>(height);
        var getWidth = cursor.GetGetter<int>(width);
        var getPath = cursor.GetGetter<ReadOnlyMemory<char>>(path);
        ReadOnlyMemory<char> p = default;
        int h = 0, w = 0;
        while (cursor.MoveNext())
        {
            getHeight(ref h);
            getWidth(ref w);
            getPath(ref p);
            yield return new SegmentedImage(p.ToString(), new LabelMap(w, h, ReadMap(getMap, checked(h * w))));
        }
    }

    /// <summary>
    /// Reads a class map of <paramref name="length"/> pixels into a new array handed to the getter, which fills a
    /// destination's own array when it is large enough: the map is not copied again (a 6000×4000 map is 96 MB).
    /// </summary>
    private static int[] ReadMap(ValueGetter<VBuffer<int>> getMap, int length)
    {
        var labels = new int[length];
        var buffer = new VBuffer<int>(length, labels);
        getMap(ref buffer);
        var values = buffer.GetValues();
        bool filledInPlace = buffer.IsDense && values.Length == length
            && (length == 0 || Unsafe.AreSame(ref MemoryMarshal.GetReference(values), ref labels[0]));
        return filledInPlace ? labels : buffer.DenseValues().ToArray();
    }

    /// <summary>Checks that a loaded model takes image paths; the message names the model and what it takes instead.</summary>
    public static void RequireImagePathInput(DataViewSchema inputSchema, string modelName)
    {
        var column = inputSchema?.GetColumnOrNull(ImagePathRow.ColumnName);
        if (column is null || column.Value.Type is not TextDataViewType)
            throw new InvalidDataException(
                $"{modelName}: expected a model whose input is a text column '{ImagePathRow.ColumnName}' (as `fcn import` writes); " +
                $"its input columns are {(inputSchema is null ? "unknown" : string.Join(", ", inputSchema.Select(c => $"{c.Name} ({c.Type})")))}.");
    }

    /// <summary>Reads an image file as packed RGB bytes (for overlays).</summary>
    public static (int Width, int Height, byte[] Rgb) ReadRgb(string imagePath)
    {
        using var image = MLImage.CreateFromFile(imagePath);
        int w = image.Width, h = image.Height;
        var layout = MLImageLayout.Of(image, imagePath);
        var pixels = image.Pixels;
        var rgb = new byte[3 * w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int s = y * layout.Stride + 4 * x, d = 3 * (y * w + x);
                rgb[d] = pixels[s + layout.Red];
                rgb[d + 1] = pixels[s + layout.Green];
                rgb[d + 2] = pixels[s + layout.Blue];
            }
        return (w, h, rgb);
    }
}
