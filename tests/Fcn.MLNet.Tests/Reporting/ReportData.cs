using Fcn.MLNet.Imaging;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Reporting;

/// <summary>
/// Seeded images, masks and predictions in folders for report tests: image i's prediction is its mask with the first
/// <c>i + 1</c> rows set to another class, so per-image IU falls as i grows (image 0 best, the last worst).
/// </summary>
internal sealed record ReportData(string Images, string Masks, string Predictions, int Count)
{
    public const int Classes = 3;

    public static ReportData Write(string dir, int count = 6, Func<int, string>? name = null)
    {
        name ??= i => $"r{i}";
        string images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "masks"), predictions = Path.Combine(dir, "predictions");
        Directory.CreateDirectory(images);
        Directory.CreateDirectory(predictions);
        for (int i = 0; i < count; i++)
        {
            int w = 24 + i, h = 16;
            var img = TestImage.Random(w, h, 100 + i);
            var truth = new int[w * h];
            for (int p = 0; p < truth.Length; p++) truth[p] = p % w * Classes / w; // three vertical bands
            truth[0] = 255; // one ignored pixel
            var predicted = (int[])truth.Clone();
            predicted[0] = 0;
            for (int p = 0; p < (i + 1) * w; p++) predicted[p] = (truth[p] + 1) % Classes;
            using (var f = File.Create(Path.Combine(images, name(i) + ".png"))) PngEncoder.WriteRgb8(f, w, h, img.Rgb);
            MaskWriter.WriteIndexPng(Path.Combine(masks, name(i) + ".png"), new LabelMap(w, h, truth));
            MaskWriter.WriteIndexPng(Path.Combine(predictions, name(i) + ".png"), new LabelMap(w, h, predicted));
        }
        return new ReportData(images, masks, predictions, count);
    }
}
