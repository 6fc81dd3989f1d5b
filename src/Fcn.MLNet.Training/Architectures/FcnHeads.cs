using System.Text.Json;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Architectures;

/// <summary>
/// FCN-32s, FCN-16s and FCN-8s heads on a backbone (paper 4.2), written top to bottom as the reference
/// <c>voc-fcn8s/net.py</c>: 1×1 score layers initialised to zero, transposed-convolution upsampling initialised to
/// bilinear (the final one fixed, intermediate ones learned), fusion by summation, and crops — computed from the
/// maps' coordinate geometry, as Caffe's <c>coord_map</c> — that align every map for any input size. Each
/// upsampling pads its coarse input by one zero pixel so the upsampled map covers its target at every size. The output <c>score</c> is
/// <c>[1, classes, height, width]</c>, the input's own size.
/// </summary>
public static class FcnHeads
{

    /// <summary>metadata_props key naming the architecture.</summary>
    public const string ArchitectureKey = "fcn.architecture";

    /// <summary>Builds the FCN. <paramref name="learnFinalUpsampling"/> makes the last upsampling trainable too.</summary>
    public static ModelProto Build(Backbone backbone, FcnArchitecture architecture, int classes,
        IReadOnlyList<string>? classNames = null, bool learnFinalUpsampling = false)
    {
        if (classes < 1) throw new ArgumentOutOfRangeException(nameof(classes));
        if (classNames is not null && classNames.Count != classes)
            throw new ArgumentException($"{classNames.Count} class names for {classes} classes.", nameof(classNames));
        var model = backbone.Model.Clone();
        var head = new HeadBuilder(model.Graph, backbone, classes);

        string data = backbone.Input;
        if (backbone.InputPadding > 0) head.PadInput(backbone.InputPadding);
        string score_fr = head.Score(backbone.Stride32, "score_fr");
        bool learnLast = learnFinalUpsampling;
        string score;
        switch (architecture)
        {
            case FcnArchitecture.Fcn32s:
                score = head.UpsampleTo(score_fr, data, 32, "upscore", "score", learnLast);
                break;
            case FcnArchitecture.Fcn16s:
            {
                string score_pool4 = head.Score(backbone.Stride16, "score_pool4");
                string upscore2c = head.UpsampleTo(score_fr, score_pool4, 2, "upscore2", "upscore2c", learned: true);
                string fuse_pool4 = head.Add(upscore2c, score_pool4, "fuse_pool4");
                score = head.UpsampleTo(fuse_pool4, data, 16, "upscore16", "score", learnLast);
                break;
            }
            default:
            {
                string score_pool4 = head.Score(backbone.Stride16, "score_pool4");
                string upscore2c = head.UpsampleTo(score_fr, score_pool4, 2, "upscore2", "upscore2c", learned: true);
                string fuse_pool4 = head.Add(upscore2c, score_pool4, "fuse_pool4");
                string score_pool3 = head.Score(backbone.Stride8, "score_pool3");
                string upscore_pool4c = head.UpsampleTo(fuse_pool4, score_pool3, 2, "upscore_pool4", "upscore_pool4c", learned: true);
                string fuse_pool3 = head.Add(upscore_pool4c, score_pool3, "fuse_pool3");
                score = head.UpsampleTo(fuse_pool3, data, 8, "upscore8", "score", learnLast);
                break;
            }
        }
        model.Graph.Output.Add(OnnxGraphBuilder.ValueInfo(score, DataType.Float, 1, classes, Surgery.DynamicInput.Height, Surgery.DynamicInput.Width));
        // The input's symbols must be the output's, so SegmentFcn knows no resize is needed.
        var inputDims = model.Graph.Input.First(i => i.Name == data).Type.TensorType.Shape.Dim;
        inputDims[2].DimParam = Surgery.DynamicInput.Height;
        inputDims[3].DimParam = Surgery.DynamicInput.Width;

        if (classNames is not null) ModelMetadata.WriteClassNames(model, classNames);
        Optimization.ParameterRules.SetFrozen(model, head.Frozen);
        OnnxModelFile.SetMetadata(model, ArchitectureKey, $"{backbone.Name}-{architecture.ToString().ToLowerInvariant()}");
        OnnxModelFile.SetMetadata(model, ModelMetadata.PreprocessingKey, backbone.Preprocessing.ToJson());
        OnnxModelFile.SetMetadata(model, ModelMetadata.NumberOfClassesKey, classes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return model;
    }

    /// <summary>
    /// Net surgery's <c>transplant</c>: copies every float parameter of <paramref name="from"/> into the same-named,
    /// same-shaped one of <paramref name="to"/> (e.g. FCN-32s → FCN-16s); returns the names copied. Integer constants
    /// (crop offsets, pads) belong to each architecture's geometry and are never copied.
    /// </summary>
    public static IReadOnlyList<string> Transplant(ModelProto from, ModelProto to)
    {
        var source = from.Graph.Initializer.ToDictionary(t => t.Name);
        var copied = new List<string>();
        for (int i = 0; i < to.Graph.Initializer.Count; i++)
        {
            var target = to.Graph.Initializer[i];
            if (target.DataType == (int)Onnx.Proto.TensorProto.Types.DataType.Float
                && source.TryGetValue(target.Name, out var s) && s.Dims.SequenceEqual(target.Dims) && s.DataType == target.DataType)
            {
                to.Graph.Initializer[i] = s.Clone();
                copied.Add(target.Name);
            }
        }
        return copied;
    }

    /// <summary>
    /// The FCN without its upsampling and skips: the stride-32 class scores <c>score_fr</c> as output
    /// (<c>[1, C, score_height, score_width]</c>) — for shift-and-stitch (paper 3.2) and ablations.
    /// </summary>
    public static ModelProto CoarseScores(ModelProto fcn)
    {
        var model = fcn.Clone();
        var graph = model.Graph;
        if (graph.Node.All(n => !n.Output.Contains("score_fr")))
            throw new InvalidDataException("The model has no 'score_fr' layer; is it an FCN built by FcnHeads?");
        int classes = (int)graph.Initializer.First(t => t.Name == "score_fr.weight").Dims[0];
        Surgery.GraphIndex.KeepOnlyAncestors(graph, "score_fr");
        graph.Output.Clear();
        graph.Output.Add(OnnxGraphBuilder.ValueInfo("score_fr", DataType.Float, 1, classes, "score_height", "score_width"));
        Optimization.ParameterRules.SetFrozen(model, Array.Empty<string>());
        return model;
    }

    /// <summary>The frozen parameter names recorded in a model (see <see cref="Optimization.ParameterRules"/>).</summary>
    public static IReadOnlyList<string> FrozenParameters(ModelProto model) => Optimization.ParameterRules.Frozen(model);
}
