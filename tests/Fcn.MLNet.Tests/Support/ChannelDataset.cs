using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;

namespace Fcn.MLNet.Tests.Support;

/// <summary>
/// Four small random images whose class is the dominant colour channel of each pixel (a 1×1-conv FCN can learn it),
/// as image and mask folders, with a zero-initialised 3-class 1×1-conv FCN to start from.
/// </summary>
internal sealed record ChannelDataset(string Images, string Masks, string BaseModel)
{
    public static ChannelDataset Write(string dir)
    {
        string images = Path.Combine(dir, "images"), masks = Path.Combine(dir, "masks");
        Directory.CreateDirectory(images);
        for (int i = 0; i < 4; i++)
        {
            int w = 12 + 2 * i, h = 10 + i;
            var img = TestImage.Random(w, h, 30 + i);
            var labels = new int[w * h];
            for (int p = 0; p < labels.Length; p++)
            {
                int r = img.Rgb[3 * p], g = img.Rgb[3 * p + 1], b = img.Rgb[3 * p + 2];
                labels[p] = r >= g && r >= b ? 0 : g >= b ? 1 : 2;
            }
            using (var f = File.Create(Path.Combine(images, $"s{i}.png"))) PngEncoder.WriteRgb8(f, w, h, img.Rgb);
            MaskWriter.WriteIndexPng(Path.Combine(masks, $"s{i}.png"), new LabelMap(w, h, labels));
        }
        return new ChannelDataset(images, masks, TestFcn.Create(classes: 3, seed: 2, weightScale: 0f).Save(dir, "base.onnx"));
    }
}
