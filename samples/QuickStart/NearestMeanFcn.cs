using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace QuickStart;

/// <summary>
/// A small FCN fitted in closed form: average-pool by 4 (a stride-4 "feature map"), then a 1×1 convolution whose
/// class scores are 2·μ_k·x − |μ_k|² — the nearest-class-mean rule, convolutionalized. Its coarse scores are
/// upsampled bilinearly by SegmentFcn. (Fine-tuning deep FCNs in C# is the Fcn.MLNet.Training engine's job.)
/// </summary>
internal static class NearestMeanFcn
{
    /// <summary>Per-class mean colour (input scaled to [0, 1]) over the fitting images.</summary>
    public static double[][] ClassMeans(IEnumerable<(byte[] Rgb, int[] Labels)> images, int classes)
    {
        var sum = new double[classes][];
        var count = new long[classes];
        for (int k = 0; k < classes; k++) sum[k] = new double[3];
        foreach (var (rgb, labels) in images)
            for (int p = 0; p < labels.Length; p++)
            {
                int k = labels[p];
                for (int c = 0; c < 3; c++) sum[k][c] += rgb[3 * p + c] / 255.0;
                count[k]++;
            }
        return sum.Select((s, k) => s.Select(v => v / Math.Max(1, count[k])).ToArray()).ToArray();
    }

    public static ModelProto Build(double[][] means, string[] classNames)
    {
        int k = means.Length;
        var weight = new float[k * 3];
        var bias = new float[k];
        for (int i = 0; i < k; i++)
        {
            for (int c = 0; c < 3; c++) weight[3 * i + c] = (float)(2 * means[i][c]);
            bias[i] = (float)-means[i].Sum(m => m * m);
        }
        var b = new OnnxGraphBuilder(graphName: "nearest_mean_fcn");
        b.AddInput("image", DataType.Float, 1, 3, "height", "width");
        string pool = b.NamedNode("AveragePool", "pool", new[] { "image" },
            OnnxAttribute.Ints("kernel_shape", 4, 4), OnnxAttribute.Ints("strides", 4, 4), OnnxAttribute.Int("ceil_mode", 1));
        string scores = b.NamedNode("Conv", "score", new[] { pool, b.AddFloats("score_w", weight, k, 3, 1, 1), b.AddFloats("score_b", bias, k) },
            OnnxAttribute.Ints("kernel_shape", 1, 1));
        b.AddOutput(scores, DataType.Float, 1, k, "coarse_height", "coarse_width");
        var model = OnnxModelFile.CreateModel(b.Graph);
        ModelMetadata.WriteClassNames(model, classNames);
        return model;
    }
}
