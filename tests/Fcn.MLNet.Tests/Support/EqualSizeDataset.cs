using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Tests.Support;

/// <summary>
/// Four random 16×12 images (class = dominant colour channel) whose masks ignore (255) a different number of pixels
/// each — 0, 9, 18, 27 — so that a data-parallel loss that averaged per-rank means, instead of dividing by the global
/// count, would differ from one process; with a 3-class 1×1-conv FCN to start from.
/// </summary>
internal sealed record EqualSizeDataset(string Images, string Masks, string BaseModel)
{
    public static EqualSizeDataset Write(string dir)
    {
        const int w = 16, h = 12;
        string images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "masks");
        Directory.CreateDirectory(images);
        for (int i = 0; i < 4; i++)
        {
            var img = TestImage.Random(w, h, 50 + i);
            var labels = new int[w * h];
            for (int p = 0; p < labels.Length; p++)
            {
                int r = img.Rgb[3 * p], g = img.Rgb[3 * p + 1], b = img.Rgb[3 * p + 2];
                labels[p] = p % 5 == 0 && p / 5 < 9 * i ? 255 : r >= g && r >= b ? 0 : g >= b ? 1 : 2;
            }
            using (var f = File.Create(Path.Combine(images, $"e{i}.png"))) PngEncoder.WriteRgb8(f, w, h, img.Rgb);
            MaskWriter.WriteIndexPng(Path.Combine(masks, $"e{i}.png"), new LabelMap(w, h, labels));
        }
        return new EqualSizeDataset(images, masks, TestFcn.Create(classes: 3, seed: 5).Save(dir, "base.onnx"));
    }
}
