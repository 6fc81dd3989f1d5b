using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Quantization;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.MLNet.Tests;

/// <summary>
/// Int8 post-training quantization: the arithmetic against an independent fake-quantization in double precision, and a
/// ResNet18 FCN-8s (real channel counts) quantized, scored by SegmentFcn whole and in tiles, and saved as a zip.
/// </summary>
public class QuantizationTests
{
    private static string WritePng(string folder, string name, int width, int height, byte[] rgb)
    {
        string path = Path.Combine(folder, name);
        using var f = File.Create(path);
        PngEncoder.WriteRgb8(f, width, height, rgb);
        return path;
    }

    private static List<string> ShapeImages(string folder, int first, int count) =>
        Enumerable.Range(first, count).Select(seed =>
        {
            var (w, h, rgb, _) = SyntheticShapes.Generate(seed);
            return WritePng(folder, $"shapes{seed}.png", w, h, rgb);
        }).ToList();

    [Test]
    public void A_quantized_convolution_computes_what_fake_quantization_in_double_precision_computes()
    {
        // x → 1×1 Conv (4 classes, with bias) → scores; with the score layer quantized, every step is quantized:
        // input per tensor (uint8), weights per output channel (int8, symmetric), bias int32, output per tensor.
        var fcn = TestFcn.Create(classes: 4, seed: 7, pool: 1, weightScale: 1f / 32);
        var img = TestImage.Gradient(40, 30, seed: 3);
        string dir = TestPaths.NewTempFolder();
        string png = WritePng(dir, "calibration.png", img.Width, img.Height, img.Rgb);
        var quantized = FcnQuantizer.Quantize(new FcnQuantizationOptions
        {
            ModelBytes = fcn.Bytes, CalibrationImages = new[] { png }, Method = CalibrationMethod.MinMax, QuantizeScoreLayers = true,
        });
        Assert.That(quantized.Graph.Node.Count(n => n.OpType == "QuantizeLinear"), Is.EqualTo(2), "input and output");

        // The reference, from the definitions: min/max ranges widened to hold 0, uint8 = round(x/s) + z clamped.
        int C = fcn.Classes, plane = img.Width * img.Height;
        var x = img.Planar();
        var floatScores = fcn.ReferenceScores(x, img.Height, img.Width, out _, out _);
        (double S, int Z) Params(IEnumerable<double> values)
        {
            double lo = Math.Min(0, values.Min()), hi = Math.Max(0, values.Max());
            double s = (hi - lo) / 255;
            return (s, (int)Math.Clamp(Math.Round(-lo / s), 0, 255));
        }
        double FakeQuantize(double v, (double S, int Z) p) => (Math.Clamp(Math.Round(v / p.S) + p.Z, 0, 255) - p.Z) * p.S;
        var input = Params(x.Select(v => (double)v));
        var output = Params(floatScores);
        var expected = new double[C * plane];
        for (int k = 0; k < C; k++)
        {
            double ws = Enumerable.Range(0, 3).Max(c => Math.Abs(fcn.Weight[3 * k + c])) / 127.0;
            double bs = input.S * ws;
            double bias = Math.Round(fcn.Bias[k] / bs) * bs;
            for (int p = 0; p < plane; p++)
            {
                double sum = bias;
                for (int c = 0; c < 3; c++)
                    sum += Math.Round(fcn.Weight[3 * k + c] / ws) * ws * FakeQuantize(x[c * plane + p], input);
                expected[k * plane + p] = FakeQuantize(sum, output);
            }
        }
        var actual = Ort.Run(quantized, x, 1, 3, img.Height, img.Width).Values;
        double worst = Enumerable.Range(0, expected.Length).Max(i => Math.Abs(actual[i] - expected[i]));
        Assert.That(worst, Is.LessThanOrEqualTo(output.S * 1.01), "at most one output step apart (integer requantization rounds once more)");
        Assert.That(Enumerable.Range(0, expected.Length).Count(i => Math.Abs(actual[i] - expected[i]) > 1e-6), Is.LessThan(expected.Length / 20),
            "almost every value equal");
    }

    [Test]
    public void A_quantized_ResNet18_FCN8s_scores_like_the_float_net_whole_tiled_and_from_a_zip()
    {
        var fcn = FcnHeads.Build(Backbone.ResNet18(), FcnArchitecture.Fcn8s, SyntheticShapes.ClassNames.Length);
        ScoreLayers.Randomize(fcn, seed: 11, scale: 0.02f); // so the map has several classes
        string dir = TestPaths.NewTempFolder();
        string floatPath = Path.Combine(dir, "fcn8s.onnx");
        OnnxModelFile.Save(fcn, floatPath);
        var calibration = ShapeImages(dir, first: 0, count: 6);
        var test = ShapeImages(dir, first: 100, count: 3);
        string int8Path = Path.Combine(dir, "fcn8s-int8.onnx");
        FcnQuantizer.QuantizeToFile(new FcnQuantizationOptions { ModelPath = floatPath, CalibrationImages = calibration }, int8Path);

        var int8 = OnnxModelFile.Load(int8Path);
        var ops = int8.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(ops.GetValueOrDefault("Relu"), Is.Zero, "every Relu folded into the quantization of its input");
        Assert.That(int8.Graph.Node.Where(n => n.OpType == "Conv").Count(n => n.Input[1].EndsWith("_dequantized", StringComparison.Ordinal)),
            Is.EqualTo(int8.Graph.Node.Count(n => n.OpType == "Conv") - 3), "every convolution is int8 but the 3 score layers");
        Assert.That(int8.Graph.Node.Where(n => n.OpType == "ConvTranspose").All(n => !n.Input[1].EndsWith("_dequantized", StringComparison.Ordinal)));

        var ml = new MLContext(seed: 0);
        int[][] Maps(string model, TiledScoring? tiling = null)
        {
            var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = model, Tiling = tiling });
            var maps = SegmentationScoring.Score(ml, pipeline, test).Select(s => s.ClassMap.Labels.ToArray()).ToArray();
            ModelLifetime.Release(pipeline);
            return maps;
        }
        double Agreement(int[][] a, int[][] b) =>
            a.Zip(b).Sum(p => p.First.Zip(p.Second).Count(q => q.First == q.Second)) / (double)a.Sum(m => m.Length);
        var reference = Maps(floatPath);
        var whole = Maps(int8Path);
        Assert.That(reference.SelectMany(m => m).Distinct().Count(), Is.GreaterThan(1), "the float net must predict several classes");
        Assert.That(Agreement(whole, reference), Is.GreaterThanOrEqualTo(0.95), "int8 vs float class maps");
        var tiling = new TiledScoring { TileSize = 96, Overlap = 32 };
        Assert.That(Agreement(Maps(int8Path, tiling), Maps(floatPath, tiling)), Is.GreaterThanOrEqualTo(0.95), "int8 vs float, both in tiles");

        // A model zip quantizes to a zip with the same pipeline around the int8 graph.
        string floatZip = Path.Combine(dir, "fcn8s.zip"), int8Zip = Path.Combine(dir, "fcn8s-int8.zip");
        var files = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = floatPath });
        ml.Model.Save(files, ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema, floatZip);
        ModelLifetime.Release(files);
        FcnQuantizer.QuantizeToFile(new FcnQuantizationOptions { ModelPath = floatZip, CalibrationImages = calibration }, int8Zip);
        var loaded = ModelZip.Load(ml, int8Zip, out _);
        var fromZip = SegmentationScoring.Score(ml, loaded, test).Select(s => s.ClassMap.Labels.ToArray()).ToArray();
        ModelLifetime.Release(loaded);
        Assert.That(Agreement(fromZip, whole), Is.GreaterThanOrEqualTo(0.99), "the zip's int8 graph is the .onnx's");
        Assert.That(Directory.GetFiles(dir).Where(AtomicFile.IsTemporaryName), Is.Empty, "no temporary files left");
    }

    [Test]
    public void ONNX_Runtime_runs_a_quantized_FCN_channels_last_whole_and_in_tiles()
    {
        // The wrapped graph declares the image's rank; without it ONNX Runtime keeps QLinearConv and MaxPool in NCHW,
        // where they are much slower (the uint8 MaxPool 30×). And the 3-channel stem runs on SpaceToDepth blocks.
        // Checked on the graph ONNX Runtime actually runs.
        var fcn = FcnHeads.Build(Backbone.ResNet18(), FcnArchitecture.Fcn8s, SyntheticShapes.ClassNames.Length);
        string dir = TestPaths.NewTempFolder();
        string floatPath = Path.Combine(dir, "fcn8s.onnx"), int8Path = Path.Combine(dir, "fcn8s-int8.onnx");
        OnnxModelFile.Save(fcn, floatPath);
        FcnQuantizer.QuantizeToFile(new FcnQuantizationOptions { ModelPath = floatPath, CalibrationImages = ShapeImages(dir, first: 0, count: 2) }, int8Path);
        var ml = new MLContext(seed: 0);
        foreach (var tiling in new[] { null, new TiledScoring { TileSize = 96, Overlap = 32 } })
        {
            var graph = Ort.Optimized(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelPath = int8Path, Tiling = tiling }).WrappedModel).Graph;
            var nodes = graph.Node.Concat(graph.Node.SelectMany(n => n.Attribute).Where(a => a.G is not null).SelectMany(a => a.G.Node)).ToList();
            var convolutions = nodes.Where(n => n.OpType == "QLinearConv").ToList();
            string where = tiling is null ? "whole" : "tiled";
            Assert.That(convolutions, Has.Count.EqualTo(fcn.Graph.Node.Count(n => n.OpType == "Conv") - 3), $"{where}: every quantized convolution fused");
            Assert.That(convolutions.All(n => n.Attribute.Any(a => a.Name == "channels_last" && a.I == 1)), $"{where}: QLinearConv channels-last");
            Assert.That(nodes.Count(n => n.OpType == "NhwcMaxPool"), Is.EqualTo(1), $"{where}: the stem's MaxPool runs channels-last on uint8");
            Assert.That(nodes.Count(n => n.OpType == "SpaceToDepth"), Is.EqualTo(1), $"{where}: the stem convolution reads SpaceToDepth blocks");
        }

        // A float zip written before the image's shape was declared quantizes to an int8 zip that declares it.
        string floatZip = Path.Combine(dir, "fcn8s.zip"), olderZip = Path.Combine(dir, "older.zip"), int8Zip = Path.Combine(dir, "fcn8s-int8.zip");
        var files = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = floatPath });
        ml.Model.Save(files, ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema, floatZip);
        ModelLifetime.Release(files);
        var (entry, wrapped) = ModelZipOnnxEntry.Read(floatZip);
        Assert.That(wrapped.Graph.ValueInfo, Is.Not.Empty, "the image's shape is declared");
        wrapped.Graph.ValueInfo.Clear();
        ModelZipOnnxEntry.WriteCopy(floatZip, entry, wrapped.ToByteArray(), olderZip);
        FcnQuantizer.QuantizeToFile(new FcnQuantizationOptions { ModelPath = olderZip, CalibrationImages = ShapeImages(dir, first: 0, count: 1) }, int8Zip);
        var zipGraph = Ort.Optimized(ModelZipOnnxEntry.Read(int8Zip).Model.ToByteArray()).Graph;
        Assert.That(zipGraph.Node.Where(n => n.OpType == "QLinearConv").All(n => n.Attribute.Any(a => a.Name == "channels_last" && a.I == 1)), "older zip: channels-last");
    }

    [Test]
    public void What_cannot_be_quantized_is_refused_naming_it()
    {
        string dir = TestPaths.NewTempFolder();
        var fcn = TestFcn.Create(classes: 3, seed: 1, pool: 2);
        string model = fcn.Save(dir);
        string bad = Path.Combine(dir, "broken.png");
        File.WriteAllText(bad, "not an image");
        var e1 = Assert.Throws<InvalidDataException>(() => FcnQuantizer.Quantize(new FcnQuantizationOptions
        {
            ModelPath = model, CalibrationImages = new[] { bad }, QuantizeScoreLayers = true,
        }));
        Assert.That(e1!.Message, Does.Contain("broken.png"));
        var e2 = Assert.Throws<ArgumentException>(() => FcnQuantizer.Quantize(new FcnQuantizationOptions { ModelPath = model }));
        Assert.That(e2!.Message, Does.Contain("CalibrationImages"));
        var old = TestFcn.Create(classes: 3, seed: 1, opset: 11);
        var e3 = Assert.Throws<InvalidDataException>(() => FcnQuantizer.Quantize(new FcnQuantizationOptions
        {
            ModelBytes = old.Bytes, CalibrationImages = new[] { bad }, QuantizeScoreLayers = true,
        }));
        Assert.That(e3!.Message, Does.Contain("opset 13"));
        // Only a score layer, not asked to quantize it: nothing to do, said so.
        string png = WritePng(dir, "ok.png", 8, 8, new byte[3 * 64]);
        var e4 = Assert.Throws<InvalidDataException>(() => FcnQuantizer.Quantize(new FcnQuantizationOptions { ModelPath = model, CalibrationImages = new[] { png } }));
        Assert.That(e4!.Message, Does.Contain("no convolution"));
    }
}
