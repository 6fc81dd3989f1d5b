using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.Benchmarks;

/// <summary>
/// A ResNet18-shaped FCN-32s with seeded random weights (batch norm folded into conv biases), for timing only:
/// conv1 7×7/2, max pool 3×3/2, four stages of two basic blocks (64, 128, 256, 512 channels), a 1×1 score layer.
/// The output is the stride-32 score map; SegmentFcn upsamples it bilinearly.
/// </summary>
internal sealed class ResNet18Fcn32s
{
    private readonly OnnxGraphBuilder _b = new(graphName: "resnet18_fcn32s");
    private readonly Random _rng;

    private ResNet18Fcn32s(int seed) => _rng = new Random(seed);

    public static ModelProto Build(int classes = 21, int seed = 0) => new ResNet18Fcn32s(seed).Create(classes);

    private ModelProto Create(int classes)
    {
        _b.AddInput("image", DataType.Float, 1, 3, "height", "width");
        string x = Relu(Conv("conv1", "image", 3, 64, 7, 2, 3));
        x = _b.NamedNode("MaxPool", "pool1", new[] { x }, OnnxAttribute.Ints("kernel_shape", 3, 3),
            OnnxAttribute.Ints("strides", 2, 2), OnnxAttribute.Ints("pads", 1, 1, 1, 1));
        int channels = 64;
        foreach (var (width, stride, stage) in new[] { (64, 1, 1), (128, 2, 2), (256, 2, 3), (512, 2, 4) })
        {
            x = BasicBlock($"layer{stage}.0", x, channels, width, stride);
            x = BasicBlock($"layer{stage}.1", x, width, width, 1);
            channels = width;
        }
        string score = Conv("score_fr", x, 512, classes, 1, 1, 0, zero: false);
        _b.AddOutput(score, DataType.Float, 1, classes, "score_height", "score_width");
        return OnnxModelFile.CreateModel(_b.Graph);
    }

    private string BasicBlock(string name, string x, int inChannels, int outChannels, int stride)
    {
        string y = Relu(Conv(name + ".conv1", x, inChannels, outChannels, 3, stride, 1));
        y = Conv(name + ".conv2", y, outChannels, outChannels, 3, 1, 1);
        string shortcut = stride != 1 || inChannels != outChannels
            ? Conv(name + ".downsample", x, inChannels, outChannels, 1, stride, 0)
            : x;
        return Relu(_b.NamedNode("Add", name + ".add", new[] { y, shortcut }));
    }

    private string Conv(string name, string x, int cin, int cout, int k, int stride, int pad, bool zero = false)
    {
        var w = new float[cout * cin * k * k];
        double std = Math.Sqrt(2.0 / (cin * k * k));
        for (int i = 0; i < w.Length; i++) w[i] = zero ? 0 : (float)(std * Gaussian());
        var bias = new float[cout];
        return _b.NamedNode("Conv", name, new[] { x, _b.AddFloats(name + ".weight", w, cout, cin, k, k), _b.AddFloats(name + ".bias", bias, cout) },
            OnnxAttribute.Ints("kernel_shape", k, k), OnnxAttribute.Ints("strides", stride, stride), OnnxAttribute.Ints("pads", pad, pad, pad, pad));
    }

    private string Relu(string x) => _b.Node("Relu", new[] { x });

    private double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - _rng.NextDouble())) * Math.Cos(2 * Math.PI * _rng.NextDouble());
}
