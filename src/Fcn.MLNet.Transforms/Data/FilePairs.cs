namespace Fcn.MLNet.Data;

/// <summary>One image (or prediction) and its ground-truth mask, paired by file stem.</summary>
public sealed record FilePair(string Stem, string ImagePath, string MaskPath);

/// <summary>Lists files and pairs images with masks by stem (file name without extension, ordinal order).</summary>
public static class FilePairs
{
    /// <summary>Image extensions SegmentFcn can load (through ML.NET's LoadImages).</summary>
    public static readonly IReadOnlySet<string> ImageExtensions =
        new HashSet<string>(new[] { ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp" }, StringComparer.OrdinalIgnoreCase);

    /// <summary>Mask extensions the mask reader understands.</summary>
    public static readonly IReadOnlySet<string> MaskExtensions =
        new HashSet<string>(new[] { ".png" }, StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The files in <paramref name="folder"/> (not recursive) with one of <paramref name="extensions"/>, keyed by
    /// stem in ordinal order. Two files with the same stem are an error naming both.
    /// </summary>
    public static SortedDictionary<string, string> ByStem(string folder, IReadOnlySet<string> extensions, string role)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{role} folder not found: {folder}");
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(folder))
        {
            if (!extensions.Contains(Path.GetExtension(file))) continue;
            string stem = Path.GetFileNameWithoutExtension(file);
            if (!result.TryAdd(stem, file))
                throw new InvalidDataException($"{role} folder {folder}: two files share the stem '{stem}': {result[stem]} and {file}.");
        }
        return result;
    }

    /// <summary>
    /// Pairs every file of <paramref name="imagesFolder"/> with the mask of the same stem in
    /// <paramref name="masksFolder"/>, in ordinal order of stems. An image without a mask is an error naming it;
    /// masks without images are ignored. <paramref name="imageExtensions"/> defaults to <see cref="ImageExtensions"/>.
    /// </summary>
    public static IReadOnlyList<FilePair> Pair(string imagesFolder, string masksFolder, IReadOnlySet<string>? imageExtensions = null,
        string imageRole = "images", string maskRole = "mask")
    {
        var images = ByStem(imagesFolder, imageExtensions ?? ImageExtensions, imageRole);
        var masks = ByStem(masksFolder, MaskExtensions, maskRole + "s");
        if (images.Count == 0) throw new InvalidDataException($"{imageRole} folder {imagesFolder} holds no image files.");
        var pairs = new List<FilePair>(images.Count);
        foreach (var (stem, image) in images)
        {
            if (!masks.TryGetValue(stem, out var mask))
                throw new FileNotFoundException($"No {maskRole} for {image}: expected {Path.Combine(masksFolder, stem + ".png")}.");
            pairs.Add(new FilePair(stem, image, mask));
        }
        return pairs;
    }
}
