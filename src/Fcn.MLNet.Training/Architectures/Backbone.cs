using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training.Surgery;

namespace Fcn.MLNet.Training.Architectures;

/// <summary>A feature map an FCN head can read: its value name, channels and stride.</summary>
public sealed record FeatureTap(string Value, int Channels, int Stride);

/// <summary>
/// An ImageNet classifier made into a fully convolutional trunk (paper 3.1): input of any size, BN folded, strided
/// layers' pads made symmetric, global pooling and the classification layer removed, with the last feature maps at strides 8, 16 and 32 located for the
/// skip architecture (the paper's pool3, pool4 and conv7/fc7).
/// </summary>
public sealed class Backbone
{
    private Backbone(ModelProto model, string input, FeatureTap stride8, FeatureTap stride16, FeatureTap stride32,
        ImagePreprocessing preprocessing, int inputPadding, string name)
    {
        Model = model;
        Input = input;
        Stride8 = stride8;
        Stride16 = stride16;
        Stride32 = stride32;
        Preprocessing = preprocessing;
        InputPadding = inputPadding;
        Name = name;
    }

    /// <summary>The trunk (no outputs declared; heads add them).</summary>
    public ModelProto Model { get; }

    /// <summary>The image input's name.</summary>
    public string Input { get; }

    /// <summary>Last feature map at stride 8 (pool3 in FCN-VGG16; layer2 in ResNet).</summary>
    public FeatureTap Stride8 { get; }

    /// <summary>Last feature map at stride 16 (pool4; layer3).</summary>
    public FeatureTap Stride16 { get; }

    /// <summary>The final feature map at stride 32 (fc7 as convolution; layer4).</summary>
    public FeatureTap Stride32 { get; }

    /// <summary>The preprocessing the classifier was trained with.</summary>
    public ImagePreprocessing Preprocessing { get; }

    /// <summary>Pixels of zero padding added around the input so that valid fc6 kernels still cover the image (Caffe's 100).</summary>
    public int InputPadding { get; }

    /// <summary>A short name (e.g. "resnet18").</summary>
    public string Name { get; }

    /// <summary>Where NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 puts its model in an app's output folder.</summary>
    public static string ResNet18Path => Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx");

    /// <summary>
    /// The ImageNet ResNet18 shipped by <c>Microsoft.ML.DnnImageFeaturizer.ResNet18</c> (CNTK export: BGR input minus
    /// the mean (103.06, 115.90, 123.15), asymmetric pads, fixed 224×224 input, 7×7 average pool at the end).
    /// </summary>
    public static Backbone ResNet18(string? path = null)
    {
        path ??= ResNet18Path;
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"ResNet18.onnx not found at {path}: reference the NuGet package Microsoft.ML.DnnImageFeaturizer.ResNet18 (it copies the model to DnnImageModels/ResNet18Onnx/) or pass its path.", path);
        var preprocessing = new ImagePreprocessing { ChannelOrder = ChannelOrder.Bgr, Mean = new[] { 103.0626f, 115.9029f, 123.1516f } };
        return FromClassifier(OnnxModelFile.Load(path), path, preprocessing, "resnet18");
    }

    /// <summary>
    /// Makes a backbone of any ImageNet classifier: one with a Flatten + fully connected head (VGG, AlexNet, ResNet
    /// from torchvision) keeps its convolutionalized fc layers except the classifier layer (fc6/fc7 of VGG; none for
    /// ResNet's single fc); a featurizer that ends in pooling (the CNTK ResNet18) loses that pooling.
    /// </summary>
    public static Backbone FromClassifier(ModelProto classifier, string source, ImagePreprocessing preprocessing, string? name = null)
    {
        ModelProto model;
        string features;
        int padding = 0;
        bool hasFcHead = classifier.Graph.Node.Any(n => n.OpType == "Gemm");
        if (hasFcHead)
        {
            var fcn = Convolutionalizer.Convolutionalize(classifier, source);
            model = fcn.Model;
            var index = new GraphIndex(model.Graph);
            if (fcn.FullyConnected.Count >= 2)
            {
                // Features = output of the fc before the classifier, after its ReLU/Dropout.
                features = FollowElementwise(index, fcn.FullyConnected[^2]);
                var fc6 = index.Producers[fcn.FullyConnected[0]];
                long k = OnnxAttribute.Find(fc6, "kernel_shape")!.Ints[0];
                if (k > 1) padding = 100; // the reference FCN pads conv1_1 by 100 so a k×k fc6 covers small inputs
            }
            else features = fcn.TrunkEnd;
        }
        else
        {
            model = classifier.Clone();
            OpsetUpgrade.Upgrade(model);
            DynamicInput.Apply(model);
            BatchNormFolding.Fold(model);
            var last = model.Graph.Node.Last();
            if (last.OpType is not ("AveragePool" or "GlobalAveragePool" or "MaxPool" or "GlobalMaxPool"))
                throw new InvalidDataException($"{source}: expected a classifier with a fully connected head, or a featurizer ending in pooling; it ends in {last.OpType}.");
            features = last.Input[0];
        }

        SymmetricPadding.Apply(model);
        var graph = model.Graph;
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        string input = graph.Input.First(i => !initializers.Contains(i.Name)).Name;
        GraphIndex.KeepOnlyAncestors(graph, features);
        graph.Output.Clear();
        var strides = StrideAnalysis.Compute(graph, input);
        if (strides[features] != 32)
            throw new InvalidDataException($"{source}: the final feature map '{features}' has stride {strides[features]}; FCN heads need stride 32.");
        string s8 = LastAtStride(graph, strides, 8, source), s16 = LastAtStride(graph, strides, 16, source);
        var shapes = Autodiff.ShapeProbe.Run(model, input, new long[] { 1, 3, 224, 224 });
        int Channels(string value) => (int)shapes.Shape(value)[1];
        return new Backbone(model, input,
            new FeatureTap(s8, Channels(s8), 8), new FeatureTap(s16, Channels(s16), 16), new FeatureTap(features, Channels(features), 32),
            preprocessing, padding, name ?? Path.GetFileNameWithoutExtension(source));
    }

    private static string FollowElementwise(GraphIndex index, string value)
    {
        while (index.ConsumersOf(value) is { Count: 1 } c && c[0].OpType is "Relu" or "Dropout" or "Identity" or "LeakyRelu")
            value = c[0].Output[0];
        return value;
    }

    private static string LastAtStride(GraphProto graph, Dictionary<string, int> strides, int stride, string source) =>
        graph.Node.SelectMany(n => n.Output).LastOrDefault(v => strides.TryGetValue(v, out var s) && s == stride)
        ?? throw new InvalidDataException($"{source}: no feature map at stride {stride} for the skip layers.");
}
