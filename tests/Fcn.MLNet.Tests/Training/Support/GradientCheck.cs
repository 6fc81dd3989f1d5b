using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training.Autodiff;
using Fcn.MLNet.Training.Loss;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests.Training.Support;

/// <summary>
/// Checks the gradients of a training graph: builds a small forward graph whose trainable initializers are the
/// checked tensors, runs the training graph in ONNX Runtime (float32), and compares every gradient against central
/// finite differences of an independent double-precision reference forward followed by the same loss.
/// </summary>
internal sealed class GradientCheck
{
    private readonly Random _rng;
    private readonly List<string> _trainable = new();
    private readonly Dictionary<string, RefTensor> _values = new(StringComparer.Ordinal);

    public GradientCheck(int seed, params long[] imageShape)
    {
        _rng = new Random(seed);
        ImageShape = imageShape.Length == 0 ? new long[] { 1, 3, 4, 4 } : imageShape;
        B = new OnnxGraphBuilder(graphName: "gradient_check");
        Image = B.AddInput("image", DataType.Float, ImageShape.Select(d => (OnnxDim)d).ToArray());
        ImageValues = new RefTensor(ImageShape.Select(d => (int)d).ToArray());
        for (int i = 0; i < ImageValues.Count; i++) ImageValues.Data[i] = Math.Round(_rng.NextDouble() * 2 - 1, 3);
    }

    public OnnxGraphBuilder B { get; }

    public string Image { get; }

    public long[] ImageShape { get; }

    /// <summary>The image values (already rounded to float).</summary>
    public RefTensor ImageValues { get; }

    public int? IgnoreLabel { get; set; } = 255;

    public float[]? ClassWeights { get; set; }

    /// <summary>Opset of the forward model.</summary>
    public int Opset { get; set; } = 17;

    /// <summary>Adds a trainable float initializer with values uniform in [offset − scale, offset + scale].</summary>
    public string Param(string name, int[] shape, double scale = 1, double offset = 0) =>
        Initializer(name, shape, scale, offset, trainable: true);

    /// <summary>Adds a frozen float initializer.</summary>
    public string Frozen(string name, int[] shape, double scale = 1, double offset = 0) =>
        Initializer(name, shape, scale, offset, trainable: false);

    private string Initializer(string name, int[] shape, double scale, double offset, bool trainable)
    {
        var t = new RefTensor(shape);
        for (int i = 0; i < t.Count; i++) t.Data[i] = (float)(offset + scale * (_rng.NextDouble() * 2 - 1));
        string n = B.AddFloats(name, t.Data.Select(v => (float)v).ToArray(), shape.Select(d => (long)d).ToArray());
        _values[n] = t;
        if (trainable) _trainable.Add(n);
        return n;
    }

    public RefTensor this[string name] => _values[name];

    public ModelProto Model(string scores)
    {
        if (B.Graph.Output.Count == 0) B.AddOutput(scores, DataType.Float);
        return OnnxModelFile.CreateModel(B.Graph, Opset);
    }

    /// <summary>
    /// Asserts that ORT's gradients of every trainable tensor match finite differences of
    /// <paramref name="reference"/> (which reads parameters through the indexer) within <paramref name="tolerance"/>
    /// relative to the largest reference gradient. Checks at most <paramref name="maxPerTensor"/> elements per tensor.
    /// </summary>
    public CheckResult Check(string scores, Func<RefTensor> reference, double tolerance = 1e-3, int maxPerTensor = 48,
        bool upsample = false)
    {
        var model = Model(scores);
        var graph = GradientGraphBuilder.Build(model, _trainable, ImageShape, new GradientGraphOptions { UpsampleScoresToInput = upsample });
        var refScores = reference();
        Assert.That(refScores.Shape.Select(d => (long)d), Is.EqualTo(new[] { graph.LabelShape[0], graph.Classes, graph.LabelShape[1], graph.LabelShape[2] }),
            "reference scores shape");

        // Labels: random classes with a few ignored pixels.
        int pixels = (int)graph.LabelShape.Aggregate(1L, (a, d) => a * d);
        var labels = new int[pixels];
        for (int i = 0; i < pixels; i++) labels[i] = IgnoreLabel is int ig && _rng.Next(8) == 0 ? ig : _rng.Next(graph.Classes);
        var clean = new long[pixels];
        var weights = new float[pixels];
        PixelWeights.Fill(labels, graph.Classes, IgnoreLabel, ClassWeights, 1.0, _rng, clean, weights);

        var (loss, grads) = RunOrt(graph, clean, weights);
        double refLoss = ReferenceOps.SoftmaxCrossEntropy(refScores, clean, weights);
        Assert.That(loss, Is.EqualTo(refLoss).Within(1e-4 * Math.Max(1, Math.Abs(refLoss))), "loss");

        var result = new CheckResult();
        const double eps = 1e-5;
        foreach (var p in graph.Parameters)
        {
            var t = _values[p.Name];
            var g = grads[p.Name];
            var idx = Enumerable.Range(0, t.Count).OrderBy(_ => _rng.Next()).Take(maxPerTensor).ToArray();
            double scale = 0, maxErr = 0;
            var fd = new double[idx.Length];
            for (int k = 0; k < idx.Length; k++)
            {
                int i = idx[k];
                double v = t.Data[i];
                t.Data[i] = v + eps;
                double lp = ReferenceOps.SoftmaxCrossEntropy(reference(), clean, weights);
                t.Data[i] = v - eps;
                double lm = ReferenceOps.SoftmaxCrossEntropy(reference(), clean, weights);
                t.Data[i] = v;
                fd[k] = (lp - lm) / (2 * eps);
                scale = Math.Max(scale, Math.Abs(fd[k]));
            }
            for (int k = 0; k < idx.Length; k++) maxErr = Math.Max(maxErr, Math.Abs(g[idx[k]] - fd[k]));
            double rel = maxErr / Math.Max(scale, 1e-8);
            result.Relative[p.Name] = rel;
            TestContext.Out.WriteLine($"{p.Name}: relative error {rel:G3} (largest gradient {scale:G3}, {idx.Length} elements)");
            Assert.That(scale, Is.GreaterThan(1e-7), $"gradient of '{p.Name}' is zero everywhere checked: the check would be vacuous");
            Assert.That(rel, Is.LessThan(tolerance), $"gradient of '{p.Name}': max |ORT − finite difference| = {maxErr:G3}, largest reference {scale:G3}");
        }
        return result;
    }

    private (double Loss, Dictionary<string, float[]> Grads) RunOrt(TrainingGraph graph, long[] labels, float[] weights)
    {
        using var session = new InferenceSession(graph.Model.ToByteArray());
        var inputs = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor(graph.ImageInput, new DenseTensor<float>(ImageValues.Data.Select(v => (float)v).ToArray(), ImageShape.Select(d => (int)d).ToArray())),
            NamedOnnxValue.CreateFromTensor(graph.LabelsInput, new DenseTensor<long>(labels, graph.LabelShape.Select(d => (int)d).ToArray())),
            NamedOnnxValue.CreateFromTensor(graph.PixelWeightsInput, new DenseTensor<float>(weights, graph.LabelShape.Select(d => (int)d).ToArray())),
        };
        foreach (var p in graph.Parameters)
            inputs.Add(NamedOnnxValue.CreateFromTensor(p.Name, new DenseTensor<float>(_values[p.Name].Data.Select(v => (float)v).ToArray(), p.Shape.Select(d => (int)d).ToArray())));
        var names = new[] { graph.LossOutput }.Concat(graph.Parameters.Select(p => p.GradientOutput)).ToArray();
        using var results = session.Run(inputs, names);
        var list = results.ToList();
        double loss = list[0].AsTensor<float>().GetValue(0);
        var grads = new Dictionary<string, float[]>(StringComparer.Ordinal);
        for (int i = 0; i < graph.Parameters.Count; i++) grads[graph.Parameters[i].Name] = list[i + 1].AsTensor<float>().ToArray();
        return (loss, grads);
    }

    /// <summary>Relative errors per checked tensor.</summary>
    public sealed class CheckResult
    {
        public Dictionary<string, double> Relative { get; } = new(StringComparer.Ordinal);
    }
}
