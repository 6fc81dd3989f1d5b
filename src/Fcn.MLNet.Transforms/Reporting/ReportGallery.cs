using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Scoring;

namespace Fcn.MLNet.Reporting;

/// <summary>One gallery image: its name, per-image scores, and PNG panels (image, truth, prediction; any may be missing).</summary>
internal sealed record GalleryEntry(long Row, string Name, double MeanIU, double PixelAccuracy, (int Width, int Height)? Size,
    byte[]? Image, byte[]? Truth, byte[]? Prediction, string? Note);

/// <summary>
/// Keeps the N worst and N best images by per-image mean IU while the evaluator streams, drawing panels only for
/// images that enter either list, so memory stays at 3N thumbnails whatever the dataset's size (the best list keeps
/// 2N candidates, so that N remain when ties or a small dataset put some among the worst too).
/// </summary>
internal sealed class ReportGallery(int size, int thumbnailWidth, ColorPalette palette)
{
    private readonly List<GalleryEntry> _worst = new(), _best = new();

    /// <summary>Images seen.</summary>
    public int Seen { get; private set; }

    /// <summary>Images whose every pixel was ignored (no IU, left out of the gallery).</summary>
    public int Unscored { get; private set; }

    /// <summary>
    /// The worst images, worst first. With fewer than 2N scored images, the worse half of them (so that the best
    /// half is left for <see cref="Best"/>).
    /// </summary>
    public IReadOnlyList<GalleryEntry> Worst
    {
        get
        {
            int scored = Seen - Unscored;
            return _worst.Take(scored >= 2 * size ? size : (scored + 1) / 2).ToList();
        }
    }

    /// <summary>The best images, best first, without any already among <see cref="Worst"/>.</summary>
    public IReadOnlyList<GalleryEntry> Best
    {
        get
        {
            var worst = Worst;
            return _best.Where(b => !worst.Any(w => w.Row == b.Row)).Take(size).ToList();
        }
    }

    /// <summary>Considers one evaluated image.</summary>
    public void Add(ImageEvaluation image)
    {
        Seen++;
        var metrics = image.Matrix.ToMetrics();
        double iu = metrics.MeanIU;
        if (double.IsNaN(iu)) { Unscored++; return; }
        if (size == 0) return;
        bool worst = _worst.Count < size || iu < _worst[^1].MeanIU;
        bool best = _best.Count < 2 * size || iu > _best[^1].MeanIU;
        if (!worst && !best) return;
        var entry = Draw(image, iu, metrics.PixelAccuracy);
        if (worst) Insert(_worst, entry, size, (a, b) => a.MeanIU.CompareTo(b.MeanIU));
        if (best) Insert(_best, entry, 2 * size, (a, b) => b.MeanIU.CompareTo(a.MeanIU));
    }

    private static void Insert(List<GalleryEntry> list, GalleryEntry entry, int capacity, Comparison<GalleryEntry> order)
    {
        int at = list.FindIndex(e => order(entry, e) < 0); // ties keep the earlier row first
        list.Insert(at < 0 ? list.Count : at, entry);
        if (list.Count > capacity) list.RemoveAt(list.Count - 1);
    }

    private GalleryEntry Draw(ImageEvaluation image, double iu, double pixelAccuracy)
    {
        string name = image.ImagePath is { } p ? Path.GetFileName(p) : image.Source;
        if (image.Size is not { } size || (long)size.Width * size.Height != image.Truth.Length)
            return new GalleryEntry(image.Row, name, iu, pixelAccuracy, null, null, null, null, "size unknown: no panels");
        var to = Thumbnail.Size(size.Width, size.Height, thumbnailWidth);
        byte[]? picture = null;
        string? note = image.ImagePath is null ? null : "";
        if (image.ImagePath is { } path)
        {
            try
            {
                var (w, h, rgb) = SegmentationScoring.ReadRgb(path);
                picture = w == size.Width && h == size.Height ? Thumbnail.Image(w, h, rgb, to) : null;
                if (picture is null) note = $"image is {w}x{h}, masks {size.Width}x{size.Height}: image panel left out";
            }
            catch (Exception e) when (e is not OutOfMemoryException) // a picture the gallery cannot show must not lose the evaluation
            {
                note = $"image could not be read ({e.Message})";
            }
        }
        return new GalleryEntry(image.Row, name, iu, pixelAccuracy, size, picture,
            Thumbnail.Labels(size.Width, size.Height, image.Truth, palette, to),
            Thumbnail.Labels(size.Width, size.Height, image.Prediction, palette, to), string.IsNullOrEmpty(note) ? null : note);
    }
}
