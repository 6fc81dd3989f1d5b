using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// Wraps an FCN into the graph SegmentFcn runs inside ML.NET. ML.NET's ONNX transformer accepts only one unknown
/// dimension per input, so the image enters flat: <c>pixels: uint8[1, 3·H·W]</c> (planar, model channel order)
/// and <c>size: int64[2] = (H, W)</c>. The wrapper reshapes, normalises, runs the FCN, resizes coarse
/// scores bilinearly with half-pixel centres to H×W, and emits the per-pixel argmax (<see cref="NotAScoreClass"/>
/// where the scores hold a NaN; optionally also the winning score) flattened row-major.
/// </summary>
public static class SegmentationGraph
{
    /// <summary>Flat planar pixels input, <c>uint8[1, 3·H·W]</c>.</summary>
    public const string PixelsInput = "__FcnPixels";

    /// <summary>Image size input, <c>int64[2]</c> = (H, W).</summary>
    public const string SizeInput = "__FcnSize";

    /// <summary>
    /// Class map output, <c>uint8[H·W]</c> when the model's classes fit in a byte (see <see cref="HasByteClassMap"/>;
    /// <see cref="NotAScoreByte"/> marks NaN scores), else <c>int32[H·W]</c>.
    /// </summary>
    public const string ClassesOutput = "__FcnClasses";

    /// <summary>Winning-class score output, <c>float[H·W]</c>.</summary>
    public const string ScoreOutput = "__FcnScore";

    /// <summary>
    /// The class of a pixel whose scores hold a NaN (a broken or diverged model): never a real class, so such a map
    /// is noticed instead of reading as confident class 0.
    /// </summary>
    public const int NotAScoreClass = -1;

    /// <summary><see cref="NotAScoreClass"/> in a byte class map: class ids then run from 0 to 254.</summary>
    public const byte NotAScoreByte = 255;

    /// <summary>
    /// True when the wrapped graph gives the class map as bytes: the model declares at most 255 classes. A quarter of
    /// the memory of int32 maps; SegmentFcn widens it to its int32 column at the end.
    /// </summary>
    public static bool HasByteClassMap(FcnModelContract contract) => contract.NumberOfClasses is <= NotAScoreByte;

    /// <summary>
    /// Builds the wrapped model. The FCN's nodes and initializers are kept as they are; only its image input is
    /// rewired and its outputs replaced. <paramref name="classNames"/> (when given) are stored in metadata_props.
    /// With <paramref name="testTimeAugmentation"/> the FCN's nodes run once per variant and the class map is the
    /// argmax of the averaged probabilities (see <see cref="TestTimeAugmentationGraph"/>).
    /// </summary>
    public static ModelProto Wrap(ModelProto fcn, FcnModelContract contract, ImagePreprocessing preprocessing,
        bool emitScore, IReadOnlyList<string>? classNames, (int Stride, int Factor)? shiftAndStitch = null,
        TestTimeAugmentation? testTimeAugmentation = null, TiledScoring? tiling = null)
    {
        preprocessing.Validate();
        if (testTimeAugmentation is not null && shiftAndStitch is { Factor: > 1 })
            throw new ArgumentException("SegmentFcn: shift-and-stitch and test-time augmentation cannot be combined; choose one.");
        if (tiling is not null && shiftAndStitch is { Factor: > 1 })
            throw new ArgumentException("SegmentFcn: shift-and-stitch and tiled scoring cannot be combined; choose one.");
        var model = fcn.Clone();
        var g = model.Graph;
        DiagonalUpsampling.Apply(g);
        foreach (var reserved in new[] { PixelsInput, SizeInput, ClassesOutput, ScoreOutput })
            if (g.Node.Any(n => n.Output.Contains(reserved)) || g.Initializer.Any(t => t.Name == reserved))
                throw new InvalidDataException($"The model already uses the name '{reserved}', reserved by SegmentFcn.");

        var b = new OnnxGraphBuilder(g); // reserves every existing name, the FCN's input and outputs included
        g.Input.Remove(g.Input.First(i => i.Name == contract.InputName));
        g.Output.Clear();
        g.ValueInfo.Clear(); // stale shapes of the FCN's values; ORT infers them again.
        int fcnNodeCount = g.Node.Count;
        b.AddInput(PixelsInput, DataType.Uint8, 1, "pixels");
        b.AddInput(SizeInput, DataType.Int64, 2);
        bool bytes = HasByteClassMap(contract);
        var classType = bytes ? DataType.Uint8 : DataType.Int32;
        if (tiling is not null)
        {
            // The FCN's nodes move into the tile Loop's body.
            var fcnNodes = g.Node.ToList();
            g.Node.Clear();
            var (tiledClasses, tiledBest) = TiledScoringGraph.Emit(b, fcnNodes, contract.InputName, contract.OutputName, contract, preprocessing, emitScore,
                tiling, testTimeAugmentation, PixelsInput, SizeInput, bytes);
            AddNamedOutput(b, "Identity", ClassesOutput, new[] { tiledClasses }, classType);
            if (emitScore) AddNamedOutput(b, "Identity", ScoreOutput, new[] { tiledBest! }, DataType.Float);
            return Describe(model, contract, preprocessing, classNames);
        }

        // pixels uint8 [1, 3HW] -> float x [1, 3, H, W], then normalised.
        string pixels = b.Node("Cast", new[] { PixelsInput }, OnnxAttribute.Int("to", (long)DataType.Float));
        string x = Normalize(b, b, ImageFromPixels(b, pixels, SizeInput, "image"), preprocessing);
        if (shiftAndStitch is { } sas && sas.Factor > 1)
            x = ShiftAndStitch.ShiftedBatch(b, x, sas.Stride, sas.Factor);
        RewireInput(g, contract.InputName, x);
        MoveToFront(g, fcnNodeCount); // keep the node list topologically sorted

        string scores = contract.OutputName;
        if (testTimeAugmentation is not null)
        {
            var fcnNodes = g.Node.Skip(g.Node.Count - fcnNodeCount).ToList();
            scores = TestTimeAugmentationGraph.Emit(b, fcnNodes, x, scores, contract.OutputMatchesInputSize, contract.Opset, SizeInput,
                testTimeAugmentation, (builder, s) => ResizeToInput(builder, s, contract.Opset));
        }
        else if (shiftAndStitch is { } s2 && s2.Factor > 1)
            scores = ShiftAndStitch.Interlace(b, scores, s2.Factor);
        if (testTimeAugmentation is null && (!contract.OutputMatchesInputSize || shiftAndStitch is { Factor: > 1 }))
        {
            // Coarse scores: resize and argmax band by band, never holding the full-resolution scores.
            var (bandClasses, bandBest) = BandedArgmax.Emit(b, b, scores, SizeInput, contract.Opset, emitScore, bytes);
            AddNamedOutput(b, "Identity", ClassesOutput, new[] { bandClasses }, classType);
            if (emitScore) AddNamedOutput(b, "Identity", ScoreOutput, new[] { bandBest! }, DataType.Float);
        }
        else
        {
            EmitArgmax(b, scores, contract.Opset, emitScore, bytes);
        }

        return Describe(model, contract, preprocessing, classNames);
    }

    /// <summary>The flat planar pixels (<paramref name="pixels"/>, uint8 or cast) reshaped to the image, <c>[1, 3, H, W]</c>.</summary>
    internal static string ImageFromPixels(OnnxGraphBuilder b, string pixels, string sizeInput, string name)
    {
        string shape = b.Node("Concat", new[] { b.AddInt64s("one_three", new long[] { 1, 3 }, 2), sizeInput }, OnnxAttribute.Int("axis", 0));
        return b.NamedNode("Reshape", name, new[] { pixels, shape });
    }

    /// <summary>
    /// Declares the image's shape, <c>[1, 3, H, W]</c>, where a wrapped graph reshapes the flat pixels into it (also on
    /// graphs wrapped before this was done, as in older model zips). A Reshape to a computed shape leaves even the rank
    /// unknown to ONNX Runtime, and without it its layout optimizer keeps int8 convolutions and MaxPool in NCHW: the
    /// int8 CamVid FCN-8s took 1.3× as long at 480×360.
    /// </summary>
    internal static void DeclareImageShape(GraphProto g)
    {
        var casts = g.Node.Where(n => n.OpType == "Cast" && n.Input[0] == PixelsInput)
            .ToDictionary(n => n.Output[0], n => (DataType)n.Attribute.First(a => a.Name == "to").I);
        foreach (var reshape in g.Node.Where(n => n.OpType == "Reshape"))
        {
            var type = DataType.Uint8;
            if (reshape.Input[0] != PixelsInput && !casts.TryGetValue(reshape.Input[0], out type)) continue;
            if (g.ValueInfo.All(v => v.Name != reshape.Output[0]))
                g.ValueInfo.Add(OnnxGraphBuilder.ValueInfo(reshape.Output[0], type, 1, 3, "height", "width"));
        }
    }

    /// <summary>Declares the image's shape and writes the class names, class count and preprocessing into the wrapped model's metadata.</summary>
    private static ModelProto Describe(ModelProto model, FcnModelContract contract, ImagePreprocessing preprocessing, IReadOnlyList<string>? classNames)
    {
        DeclareImageShape(model.Graph);
        if (classNames is not null) ModelMetadata.WriteClassNames(model, classNames);
        if (contract.NumberOfClasses is int k) OnnxModelFile.SetMetadata(model, ModelMetadata.NumberOfClassesKey, k.ToString(System.Globalization.CultureInfo.InvariantCulture));
        OnnxModelFile.SetMetadata(model, ModelMetadata.PreprocessingKey, preprocessing.ToJson());
        return model;
    }

    /// <summary>
    /// <c>x·a + b</c> for float pixels <c>[N, 3, H, W]</c>, with a = scale/std and b = −mean/std per channel (nothing
    /// when the preprocessing is the identity). Nodes go to <paramref name="nodes"/>, constants to <paramref name="constants"/>.
    /// </summary>
    internal static string Normalize(OnnxGraphBuilder nodes, OnnxGraphBuilder constants, string x, ImagePreprocessing preprocessing)
    {
        if (preprocessing.IsIdentity) return x;
        var (mul, add) = preprocessing.AffineCoefficients();
        x = nodes.Node("Mul", new[] { x, constants.AddFloats("norm_scale", mul, 1, 3, 1, 1) });
        return nodes.NamedNode("Add", "normalized_image", new[] { x, constants.AddFloats("norm_shift", add, 1, 3, 1, 1) });
    }

    /// <summary>Argmax (and winning score) of full-resolution scores <c>[1, C, H, W]</c>, flattened row-major.</summary>
    private static void EmitArgmax(OnnxGraphBuilder b, string scores, long opset, bool emitScore, bool bytes)
    {
        var (classes, best) = Argmax(b, b, scores, opset, emitScore, bytes);
        string flatShape = b.AddInt64s("flat", new long[] { -1 }, 1);
        AddNamedOutput(b, "Reshape", ClassesOutput, new[] { classes, flatShape }, bytes ? DataType.Uint8 : DataType.Int32);
        if (best is not null) AddNamedOutput(b, "Reshape", ScoreOutput, new[] { best, flatShape }, DataType.Float);
    }

    /// <summary>
    /// The class of each pixel of <c>[N, C, H, W]</c> scores as <c>[N, H, W]</c>, int32 or (with <paramref name="bytes"/>)
    /// uint8 — <see cref="NotAScoreClass"/> or <see cref="NotAScoreByte"/> where the scores hold a NaN — and, when asked,
    /// the winning score (float <c>[N, H, W]</c>). Nodes go to <paramref name="nodes"/>, constants to
    /// <paramref name="constants"/> (a Loop body keeps its constants outside).
    /// </summary>
    internal static (string Classes, string? Best) Argmax(OnnxGraphBuilder nodes, OnnxGraphBuilder constants, string scores, long opset, bool emitScore,
        bool bytes)
    {
        string classes = nodes.Node("ArgMax", new[] { scores }, OnnxAttribute.Int("axis", 1), OnnxAttribute.Int("keepdims", 0));
        // ArgMax over NaN scores says class 0; a pixel whose scores hold a NaN gets NotAScoreClass instead, so a broken
        // or diverged model is seen, not mistaken for confident class-0 maps. (The sum over classes is NaN exactly then.)
        string total = opset >= 13
            ? nodes.Node("ReduceSum", new[] { scores, constants.AddInt64s("sum_class_axis", new long[] { 1 }, 1) }, OnnxAttribute.Int("keepdims", 0))
            : nodes.Node("ReduceSum", new[] { scores }, OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
        string marker = constants.AddInt64s("not_a_score", new long[] { bytes ? NotAScoreByte : NotAScoreClass });
        classes = nodes.Node("Where", new[] { nodes.Node("IsNaN", new[] { total }), marker, classes });
        classes = nodes.Node("Cast", new[] { classes }, OnnxAttribute.Int("to", (long)(bytes ? DataType.Uint8 : DataType.Int32)));
        if (!emitScore) return (classes, null);
        string best = opset >= 18
            ? nodes.Node("ReduceMax", new[] { scores, constants.AddInt64s("class_axis", new long[] { 1 }, 1) }, OnnxAttribute.Int("keepdims", 0))
            : nodes.Node("ReduceMax", new[] { scores }, OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
        return (classes, best);
    }

    /// <summary>Bilinear resize of <c>[N, C, h, w]</c> scores to the input's H×W, half-pixel centres.</summary>
    private static string ResizeToInput(OnnxGraphBuilder b, string scores, long opset)
    {
        string shape = b.Node("Shape", new[] { scores });
        string nc = b.Node("Slice", new[] { shape, b.AddInt64s("slice_start", new long[] { 0 }, 1), b.AddInt64s("slice_end", new long[] { 2 }, 1) });
        string sizes = b.Node("Concat", new[] { nc, SizeInput }, OnnxAttribute.Int("axis", 0));
        return ScoreResize.Emit(b, scores, sizes, opset, "upsampled_scores");
    }

    private static void AddNamedOutput(OnnxGraphBuilder b, string opType, string name, string[] inputs, DataType type)
    {
        var node = new NodeProto { OpType = opType, Name = b.UniqueName(name + "_node") };
        node.Input.AddRange(inputs);
        node.Output.Add(name);
        b.Graph.Node.Add(node);
        b.AddOutput(name, type, "pixel_count");
    }

    private static void MoveToFront(GraphProto g, int firstNew)
    {
        var added = g.Node.Skip(firstNew).ToList();
        for (int i = g.Node.Count - 1; i >= firstNew; i--) g.Node.RemoveAt(i);
        for (int i = 0; i < added.Count; i++) g.Node.Insert(i, added[i]);
    }

    private static void RewireInput(GraphProto g, string from, string to)
    {
        foreach (var node in g.Node)
            for (int i = 0; i < node.Input.Count; i++)
                if (node.Input[i] == from) node.Input[i] = to;
    }
}
