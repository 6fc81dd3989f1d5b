using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using static Fcn.MLNet.Onnx.OnnxAttribute;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;
using R = Fcn.MLNet.Tests.Training.Support.ReferenceOps;

namespace Fcn.MLNet.Tests.Training.Support;

/// <summary>Small FCNs for end-to-end tests, written top to bottom like the reference net.py.</summary>
internal static class TinyFcns
{
    /// <summary>
    /// A 2-pool FCN with one skip, as FCN-16s is built: conv1 → pool1 → conv2 → pool2 → score_fr → upscore2
    /// (ConvTranspose ×2), score_pool1 on pool1, crop, fuse_pool1 (sum), upscore (ConvTranspose ×2), crop to the
    /// image. Image [1, 3, 14, 14], 3 classes. Returns the check (parameters trainable) and its double reference.
    /// </summary>
    public static (GradientCheck Check, string Scores, Func<RefTensor> Reference) SkipFcn(int seed)
    {
        var g = new GradientCheck(seed, 1, 3, 14, 14);
        var b = g.B;
        string conv1_w = g.Param("conv1_w", new[] { 4, 3, 3, 3 }, 0.5), conv1_b = g.Param("conv1_b", new[] { 4 }, 0.1);
        string conv2_w = g.Param("conv2_w", new[] { 6, 4, 3, 3 }, 0.5), conv2_b = g.Param("conv2_b", new[] { 6 }, 0.1);
        string score_fr_w = g.Param("score_fr_w", new[] { 3, 6, 1, 1 }), score_fr_b = g.Param("score_fr_b", new[] { 3 }, 0.1);
        string upscore2_w = g.Param("upscore2_w", new[] { 3, 3, 4, 4 }, 0.5);
        string score_pool1_w = g.Param("score_pool1_w", new[] { 3, 4, 1, 1 }), score_pool1_b = g.Param("score_pool1_b", new[] { 3 }, 0.1);
        string upscore_w = g.Param("upscore_w", new[] { 3, 3, 4, 4 }, 0.5);

        string conv1 = b.Node("Relu", new[] { b.Node("Conv", new[] { g.Image, conv1_w, conv1_b }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)) });
        string pool1 = b.Node("MaxPool", new[] { conv1 }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        string conv2 = b.Node("Relu", new[] { b.Node("Conv", new[] { pool1, conv2_w, conv2_b }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)) });
        string pool2 = b.Node("MaxPool", new[] { conv2 }, Ints("kernel_shape", 2, 2), Ints("strides", 2, 2));
        string score_fr = b.Node("Conv", new[] { pool2, score_fr_w, score_fr_b }, Ints("kernel_shape", 1, 1));
        string upscore2 = b.Node("ConvTranspose", new[] { score_fr, upscore2_w }, Ints("kernel_shape", 4, 4), Ints("strides", 2, 2));
        string score_pool1 = b.Node("Conv", new[] { pool1, score_pool1_w, score_pool1_b }, Ints("kernel_shape", 1, 1));
        string upscore2c = Crop(b, upscore2, 1, 7);
        string fuse_pool1 = b.Node("Add", new[] { upscore2c, score_pool1 });
        string upscore = b.Node("ConvTranspose", new[] { fuse_pool1, upscore_w }, Ints("kernel_shape", 4, 4), Ints("strides", 2, 2));
        string score = Crop(b, upscore, 1, 14);

        RefTensor Reference()
        {
            int[] one = { 1, 1 }, two = { 2, 2 }, none = { 0, 0, 0, 0 }, same = { 1, 1, 1, 1 };
            var c1 = R.Conv(g.ImageValues, g[conv1_w], g[conv1_b], one, same, one).Map(v => Math.Max(v, 0));
            var p1 = R.MaxPool(c1, two, two, none);
            var c2 = R.Conv(p1, g[conv2_w], g[conv2_b], one, same, one).Map(v => Math.Max(v, 0));
            var p2 = R.MaxPool(c2, two, two, none);
            var fr = R.Conv(p2, g[score_fr_w], g[score_fr_b], one, none, one);
            var up2 = R.ConvTranspose(fr, g[upscore2_w], null, two, none, one, new[] { 0, 0 });
            var sp1 = R.Conv(p1, g[score_pool1_w], g[score_pool1_b], one, none, one);
            var fuse = RefTensor.Broadcast(R.Slice(up2, new[] { 1, 1 }, new[] { 8, 8 }, new[] { 2, 3 }, one), sp1, (p, q) => p + q);
            var up = R.ConvTranspose(fuse, g[upscore_w], null, two, none, one, new[] { 0, 0 });
            return R.Slice(up, new[] { 1, 1 }, new[] { 15, 15 }, new[] { 2, 3 }, one);
        }
        return (g, score, Reference);
    }

    private static string Crop(OnnxGraphBuilder b, string x, long offset, long size) =>
        b.Node("Slice", new[] { x, b.AddInt64s("crop_starts", new[] { offset, offset }, 2), b.AddInt64s("crop_ends", new[] { offset + size, offset + size }, 2),
            b.AddInt64s("crop_axes", new long[] { 2, 3 }, 2) });

    /// <summary>
    /// image [1, 3, height, width] → conv 3×3 (8) → Relu → conv 1×1 (<paramref name="classes"/>): dynamic H, W, so
    /// SegmentFcn can load it.
    /// </summary>
    public static ModelProto Small(int classes, int seed, int hidden = 8)
    {
        var rng = new Random(seed);
        float[] Rand(int n, double s) => Enumerable.Range(0, n).Select(_ => (float)((rng.NextDouble() * 2 - 1) * s)).ToArray();
        var b = new OnnxGraphBuilder(graphName: "small_fcn");
        b.AddInput("image", DataType.Float, "N", 3, "height", "width");
        string w1 = b.AddFloats("conv1.weight", Rand(hidden * 27, 0.3), hidden, 3, 3, 3);
        string b1 = b.AddFloats("conv1.bias", Rand(hidden, 0.1), hidden);
        string w2 = b.AddFloats("score.weight", Rand(classes * hidden, 0.3), classes, hidden, 1, 1);
        string b2 = b.AddFloats("score.bias", new float[classes], classes);
        string h = b.Node("Relu", new[] { b.Node("Conv", new[] { "image", w1, b1 }, Ints("kernel_shape", 3, 3), Ints("pads", 1, 1, 1, 1)) });
        string s = b.NamedNode("Conv", "scores", new[] { h, w2, b2 }, Ints("kernel_shape", 1, 1));
        b.AddOutput(s, DataType.Float, "N", classes, "height", "width");
        return OnnxModelFile.CreateModel(b.Graph, 17);
    }
}
