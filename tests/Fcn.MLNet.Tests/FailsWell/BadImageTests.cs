using System.Buffers.Binary;
using System.Diagnostics;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;
using SkiaSharp;

namespace Fcn.MLNet.Tests.FailsWell;

/// <summary>
/// Bad image files fail with their name and what is wrong, before any pixel is decoded where the header says enough:
/// a header claiming 60000×60000, a truncated PNG or JPEG, random bytes, an empty file. Batch commands can skip them.
/// </summary>
public class BadImageTests
{
    private string _dir = "";

    [OneTimeSetUp]
    public void Folder() => _dir = TestPaths.NewTempFolder();

    private string Png(string name, int w, int h, int seed)
    {
        string path = Path.Combine(_dir, name);
        using var f = File.Create(path);
        PngEncoder.WriteRgb8(f, w, h, TestImage.Random(w, h, seed).Rgb, System.IO.Compression.CompressionLevel.NoCompression);
        return path;
    }

    /// <summary>A valid PNG whose IHDR is rewritten (CRC included) to claim another size.</summary>
    private string PngClaiming(string name, int claimedWidth, int claimedHeight)
    {
        var bytes = File.ReadAllBytes(Png(name, 8, 8, 1));
        // Signature (8) + length (4) + "IHDR" (4): width and height follow, then 5 more bytes and the CRC.
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(16), claimedWidth);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(20), claimedHeight);
        BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan(29), Crc32.Compute(bytes.AsSpan(12, 17)));
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string Truncated(string source, string name, double keep)
    {
        var bytes = File.ReadAllBytes(source);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        return path;
    }

    private string Jpeg(string name, int w, int h)
    {
        var img = TestImage.Random(w, h, 5);
        using var bitmap = new SKBitmap(new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = 3 * (y * w + x);
                bitmap.SetPixel(x, y, new SKColor(img.Rgb[p], img.Rgb[p + 1], img.Rgb[p + 2]));
            }
        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Jpeg, 90);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    /// <summary>A JPEG with an APP1 Exif segment whose only tag is Orientation (0x0112) = <paramref name="orientation"/>.</summary>
    private string JpegWithOrientation(string name, int w, int h, ushort orientation)
    {
        byte[] jpeg = File.ReadAllBytes(Jpeg(name, w, h));
        var tiff = new List<byte> { (byte)'I', (byte)'I', 42, 0, 8, 0, 0, 0, 1, 0 }; // little-endian header, IFD0 at 8, one entry
        tiff.AddRange(new byte[] { 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, (byte)(orientation >> 8), 0, 0, 0, 0, 0, 0 }); // SHORT ×1, next IFD 0
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        int length = payload.Length + 2;
        var segment = new byte[] { 0xFF, 0xE1, (byte)(length >> 8), (byte)length }.Concat(payload);
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, jpeg[..2].Concat(segment).Concat(jpeg[2..]).ToArray());
        return path;
    }

    [Test]
    public void EXIF_orientation_is_reported_the_image_is_scored_as_stored_and_predict_warns_naming_it()
    {
        string folder = Path.Combine(_dir, "exif");
        Directory.CreateDirectory(folder);
        string photo = JpegWithOrientation(Path.Combine("exif", "turned.jpg"), 40, 24, orientation: 6);
        var info = ImageFileCheck.Check(photo);
        Assert.That(info, Is.EqualTo(new ImageFileInfo(40, 24, 6)));
        Assert.That(info.ViewersReorient);
        var model = TestFcn.Create(classes: 3, seed: 4).Save(_dir, "exif-fcn.onnx");
        string output = Path.Combine(_dir, "exif-out");
        var r = FcnProcess.Run("predict", "--model", model, "--input", folder, "--output", output);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        Assert.That(r.StdErr, Does.Contain($"warning: {photo} has EXIF orientation 6: it is scored as stored (40x24)"));
        var map = MaskReader.Read(Path.Combine(output, "turned.png"));
        Assert.That((map.Width, map.Height), Is.EqualTo((40, 24)), "the map has the stored pixels' size, as ML.NET and PIL read the file");
    }

    [Test]
    public void A_good_png_and_jpeg_pass_with_their_size()
    {
        Assert.That(ImageFileCheck.Check(Png("good.png", 640, 480, 2)), Is.EqualTo(new ImageFileInfo(640, 480, 1)));
        Assert.That(ImageFileCheck.Check(Jpeg("good.jpg", 96, 64)), Is.EqualTo(new ImageFileInfo(96, 64, 1)));
    }

    [Test]
    public void A_header_claiming_60000_by_60000_is_refused_from_the_header_alone()
    {
        string path = PngClaiming("huge.png", 60000, 60000);
        long before = Process.GetCurrentProcess().WorkingSet64;
        var e = Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("60000x60000").And.Contain("3600 megapixels").And.Contain("--max-pixels"));
        Assert.That(Process.GetCurrentProcess().WorkingSet64 - before, Is.LessThan(200L << 20), "nothing near 14 GB was allocated");
        // Under a raised limit it is read row by row: the data ends after 8 rows, so it is truncated, still in little memory.
        var truncated = Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(path, maxPixels: 4_000_000_000));
        Assert.That(truncated!.Message, Does.Contain("truncated"));
    }

    [TestCase(0.6)]
    [TestCase(0.95)]
    public void A_truncated_png_is_an_error_naming_it(double keep)
    {
        string path = Truncated(Png("whole.png", 200, 150, 3), $"cut-{keep}.png", keep);
        var e = Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("truncated"));
    }

    [Test]
    public void A_truncated_jpeg_is_an_error_naming_it()
    {
        string path = Truncated(Jpeg("whole.jpg", 320, 240), "cut.jpg", 0.5);
        var e = Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(path));
        Assert.That(e!.Message, Does.Contain(path).And.Contain("truncated"));
    }

    [Test]
    public void Random_bytes_and_an_empty_file_are_errors_naming_them()
    {
        string noise = Path.Combine(_dir, "noise.png"), empty = Path.Combine(_dir, "empty.png");
        File.WriteAllBytes(noise, Enumerable.Range(0, 5000).Select(i => (byte)(i * 7919 % 251)).ToArray());
        File.WriteAllBytes(empty, Array.Empty<byte>());
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(noise))!.Message, Does.Contain(noise).And.Contain("not an image"));
        Assert.That(Assert.Throws<InvalidDataException>(() => ImageFileCheck.Check(empty))!.Message, Does.Contain(empty).And.Contain("empty (0 bytes)"));
    }

    [Test]
    public void Predict_names_a_bad_image_or_skips_it_with_skip_bad_and_exit_code_3()
    {
        var data = ChannelDataset.Write(Path.Combine(_dir, "set"));
        string images = Path.Combine(_dir, "set", "mixed");
        Directory.CreateDirectory(images);
        foreach (var f in Directory.GetFiles(data.Images)) File.Copy(f, Path.Combine(images, Path.GetFileName(f)));
        string bad = Truncated(Path.Combine(images, "s0.png"), Path.Combine("set", "mixed", "s9.png"), 0.5);
        string[] args = { "predict", "--model", data.BaseModel, "--input", images, "--scale", "0.00392157" };
        var strict = FcnProcess.Run(args.Concat(new[] { "--output", Path.Combine(_dir, "strict") }).ToArray());
        Assert.That(strict.ExitCode, Is.EqualTo(1));
        Assert.That(strict.StdErr, Does.Contain(bad).And.Contain("truncated"));
        Assert.That(Directory.Exists(Path.Combine(_dir, "strict")), Is.False, "nothing scored before the check");
        var lenient = FcnProcess.Run(args.Concat(new[] { "--output", Path.Combine(_dir, "lenient"), "--skip-bad" }).ToArray());
        Assert.That(lenient.ExitCode, Is.EqualTo(3), lenient.StdErr);
        Assert.That(lenient.StdErr, Does.Contain("skipped 1 bad image(s)").And.Contain(bad));
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "lenient")).Select(Path.GetFileName).Order(), Is.EqualTo(new[] { "s0.png", "s1.png", "s2.png", "s3.png" }));
    }

    [Test]
    public void Train_names_a_bad_training_image_before_training()
    {
        var data = ChannelDataset.Write(Path.Combine(_dir, "trainset"));
        string bad = Path.Combine(data.Images, "s2.png");
        File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..40]);
        var r = FcnProcess.Run("train", "--model", data.BaseModel, "--images", data.Images, "--masks", data.Masks, "--num-classes", "3",
            "--output", Path.Combine(_dir, "never.onnx"), "--iterations", "2", "--scale", "0.00392157");
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain(bad));
        Assert.That(r.StdOut, Does.Not.Contain("iteration"));
    }
}
