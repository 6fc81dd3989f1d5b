using SkiaSharp;

namespace Fcn.MLNet.Imaging;

/// <summary>What <see cref="ImageFileCheck.Check"/> learned about a readable image file.</summary>
/// <param name="Width">Width in pixels, as stored.</param>
/// <param name="Height">Height in pixels, as stored.</param>
/// <param name="ExifOrientation">The EXIF orientation tag (1 = upright; 2–8 = viewers flip or turn the picture).</param>
public sealed record ImageFileInfo(int Width, int Height, int ExifOrientation)
{
    /// <summary>Whether viewers show the picture other than as stored (an EXIF orientation other than 1).</summary>
    public bool ViewersReorient => ExifOrientation != 1;
}

/// <summary>
/// Checks an image file before it is decoded for scoring or training, so a bad file fails with its name and what is
/// wrong instead of an anonymous decoder error, an out-of-memory or silently black rows: the size is read from the
/// header and held against a pixel limit before any pixel is decoded, then every row is decoded (one row at a time)
/// so a truncated or corrupt file is found.
/// </summary>
public static class ImageFileCheck
{
    /// <summary>The default pixel limit: 250 megapixels (a 20000×12500 image; 1 GB as RGBA).</summary>
    public const long DefaultMaxPixels = 250_000_000;

    /// <summary>Checks <paramref name="path"/>; <paramref name="maxPixels"/> bounds width × height.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Empty, not an image, over the pixel limit, truncated or corrupt (the message names the file).</exception>
    public static ImageFileInfo Check(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPixels, 1);
        if (!File.Exists(path)) throw new FileNotFoundException($"image not found: {path}", path);
        long bytes = new FileInfo(path).Length;
        if (bytes == 0) throw new InvalidDataException($"{path} is empty (0 bytes); an image (PNG, JPEG, BMP, GIF, WebP) was expected.");
        using var codec = SKCodec.Create(path, out var opened);
        if (codec is null)
            throw new InvalidDataException($"{path} is not an image this build can decode" + (opened is SKCodecResult.Unimplemented ? "" : $" ({opened})") +
                "; PNG, JPEG, BMP, GIF or WebP was expected.");
        var info = codec.Info;
        if (info.Width < 1 || info.Height < 1) throw new InvalidDataException($"{path}: its header gives a size of {info.Width}x{info.Height}.");
        long pixels = (long)info.Width * info.Height;
        if (pixels > maxPixels)
            throw new InvalidDataException($"{path} is {info.Width}x{info.Height} ({pixels / 1e6:F0} megapixels), over the limit of {maxPixels / 1e6:F0} megapixels; " +
                "raise the limit (--max-pixels) if the machine has the memory, or tile the image.");
        var decoded = Decode(codec, info, path);
        if (decoded is not (SKCodecResult.Success)) throw new InvalidDataException(decoded == SKCodecResult.IncompleteInput
            ? $"{path} is truncated: its image data ends before the last row ({bytes} bytes for a {info.Width}x{info.Height} image)."
            : $"{path} is corrupt: decoding its pixels failed ({decoded}).");
        return new ImageFileInfo(info.Width, info.Height, (int)codec.EncodedOrigin);
    }

    private static SKCodecResult Decode(SKCodec codec, SKImageInfo info, string path)
    {
        var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        if (info.Width > int.MaxValue / 4) throw new InvalidDataException($"{path}: rows of {info.Width} pixels are too wide.");
        var row = new byte[4 * info.Width];
        unsafe
        {
            fixed (byte* p = row)
            {
                // Row by row where the format allows it (PNG, JPEG…): memory stays one row whatever the image size.
                var started = codec.StartScanlineDecode(target);
                if (started == SKCodecResult.Success)
                {
                    for (int y = 0; y < info.Height; y++)
                        if (codec.GetScanlines((IntPtr)p, 1, row.Length) != 1) return SKCodecResult.IncompleteInput;
                    return SKCodecResult.Success;
                }
            }
        }
        // Formats without scanline decoding: the whole picture at once (the size was checked against the limit).
        using var bitmap = new SKBitmap(target);
        return codec.GetPixels(target, bitmap.GetPixels());
    }
}
