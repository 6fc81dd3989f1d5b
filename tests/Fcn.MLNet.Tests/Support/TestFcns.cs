using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests.Support;

/// <summary>Small FCNs built in code, with their weights kept so tests can compute the expected output independently.</summary>
internal sealed class TestFcn
{
    public required ModelProto Model { get; init; }
    public required float[] Weight { get; init; } // [C, 3] of the 1x1 score conv
    public required float[] Bias { get; init; }   // [C]
    public int Classes => Bias.Length;
    public int Pool { get; init; } = 1;          // average-pool stride before scoring (1 = full resolution)

    public byte[] Bytes => Model.ToByteArray();

    public string Save(string folder, string name = "fcn.onnx")
    {
        string path = Path.Combine(folder, name);
        OnnxModelFile.Save(Model, path);
        return path;
    }

    /// <summary>
    /// x [1,3,H,W] → (optional AveragePool k=s=<paramref name="pool"/>) → 1x1 Conv to C classes.
    /// With pool = 1 the output keeps the input's H and W symbols; otherwise it is coarse (floor(H/pool)).
    /// </summary>
    public static TestFcn Create(int classes, int seed, int pool = 1, int opset = 17, string[]? classNames = null, float weightScale = 1f / 64f,
        int classShift = 0)
    {
        var rng = new Random(seed);
        var weight = Enumerable.Range(0, classes * 3).Select(_ => (float)(rng.NextDouble() * 2 - 1) * weightScale).ToArray();
        var bias = Enumerable.Range(0, classes).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        if (classShift != 0)
        {
            // The same net with class k renamed (k + classShift) mod C: its predictions move along the id range.
            int Source(int j) => ((j - classShift) % classes + classes) % classes;
            weight = Enumerable.Range(0, classes).SelectMany(j => weight.Skip(3 * Source(j)).Take(3)).ToArray();
            bias = Enumerable.Range(0, classes).Select(j => bias[Source(j)]).ToArray();
        }
        var b = new OnnxGraphBuilder(graphName: "test_fcn");
        b.AddInput("image", DataType.Float, 1, 3, "height", "width");
        string x = "image";
        if (pool > 1)
            x = b.Node("AveragePool", new[] { x }, OnnxAttribute.Ints("kernel_shape", pool, pool), OnnxAttribute.Ints("strides", pool, pool));
        string w = b.AddFloats("score_w", weight, classes, 3, 1, 1);
        string bb = b.AddFloats("score_b", bias, classes);
        string scores = b.NamedNode("Conv", "scores", new[] { x, w, bb }, OnnxAttribute.Ints("kernel_shape", 1, 1));
        if (pool > 1) b.AddOutput(scores, DataType.Float, 1, classes, "coarse_h", "coarse_w");
        else b.AddOutput(scores, DataType.Float, 1, classes, "height", "width");
        var model = OnnxModelFile.CreateModel(b.Graph, opset);
        if (classNames is not null) ModelMetadata.WriteClassNames(model, classNames);
        return new TestFcn { Model = model, Weight = weight, Bias = bias, Pool = pool };
    }

    /// <summary>Scores [C, h, w] computed in double precision from planar input [3, H, W].</summary>
    public double[] ReferenceScores(float[] planar, int height, int width, out int h, out int w)
    {
        int p = Pool;
        h = height / p;
        w = width / p;
        int plane = height * width;
        var scores = new double[Classes * h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var mean = new double[3];
                for (int c = 0; c < 3; c++)
                {
                    double s = 0;
                    for (int dy = 0; dy < p; dy++)
                        for (int dx = 0; dx < p; dx++)
                            s += planar[c * plane + (y * p + dy) * width + x * p + dx];
                    mean[c] = s / (p * p);
                }
                for (int k = 0; k < Classes; k++)
                    scores[(k * h + y) * w + x] = Bias[k] + Weight[3 * k] * mean[0] + Weight[3 * k + 1] * mean[1] + Weight[3 * k + 2] * mean[2];
            }
        return scores;
    }
}

/// <summary>Freshly built FCNs score all zeros (the paper's zero-initialised score layers): seeded weights for tests.</summary>
internal static class ScoreLayers
{
    /// <summary>Fills every float initializer named <c>score…</c> with uniform values in ±<paramref name="scale"/>.</summary>
    public static void Randomize(ModelProto model, int seed, float scale)
    {
        var rng = new Random(seed);
        foreach (var t in model.Graph.Initializer.Where(t => t.Name.StartsWith("score", StringComparison.Ordinal) && t.DataType == (int)DataType.Float))
        {
            var values = OnnxTensor.ReadFloats(t).Select(_ => (float)(rng.NextDouble() * 2 - 1) * scale).ToArray();
            t.RawData = ByteString.CopyFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
            t.FloatData.Clear();
        }
    }
}
