using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training.Loss;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Reverse-mode differentiation of an ONNX forward graph into one training graph that ONNX Runtime runs:
/// the forward nodes (unchanged, trainable initializers turned into inputs), an optional bilinear upsampling of
/// the scores to the image size, the softmax cross-entropy loss, and for every forward node on the path from a
/// trainable parameter to the loss, in reverse order, the backward ops of its rule (see the *Gradients classes).
/// Shapes are static: the forward graph is run once for the requested image shape to learn every value's shape
/// and the contents of its shape subgraphs, so a training graph serves exactly one image shape.
/// </summary>
public static class GradientGraphBuilder
{
    /// <summary>Lowest forward opset accepted (opset 13 moved axes and splits to inputs).</summary>
    public const int MinimumOpset = 13;

    /// <summary>Highest forward opset accepted.</summary>
    public const int MaximumOpset = 17;

    /// <summary>Opset of the training graph (ScatterElements with reduction needs 16).</summary>
    public const int TrainingOpset = 17;

    /// <summary>Builds the training graph of <paramref name="forward"/> for images of shape <paramref name="imageShape"/>.</summary>
    /// <param name="forward">The forward model; it is not modified.</param>
    /// <param name="trainable">Names of the float initializers to train; the others stay frozen.</param>
    /// <param name="imageShape">[N, 3, H, W].</param>
    /// <param name="options">Input/output names, score upsampling, dropout.</param>
    /// <exception cref="UnsupportedOperatorException">A node between a trainable parameter and the loss has no backward rule.</exception>
    /// <exception cref="NotSupportedException">The model's opset is outside 13–17.</exception>
    /// <exception cref="ArgumentException">A trainable name is not a float initializer, or nothing trainable reaches the scores.</exception>
    public static TrainingGraph Build(ModelProto forward, IReadOnlyCollection<string> trainable, long[] imageShape,
        GradientGraphOptions? options = null)
    {
        options ??= new GradientGraphOptions();
        long opset = OnnxModelFile.DefaultDomainOpset(forward);
        if (opset is < MinimumOpset or > MaximumOpset)
            throw new NotSupportedException(
                $"Training supports forward graphs of ONNX opset {MinimumOpset}–{MaximumOpset}; this model imports opset {opset}. " +
                "Re-export it (torch.onnx.export(..., opset_version=17)).");
        if (imageShape.Length != 4) throw new ArgumentException("The image shape must be [N, 3, H, W].", nameof(imageShape));
        if (forward.Graph.Node.Any(n => n.HasDomain && n.Domain is not ("" or "ai.onnx")))
        {
            var custom = forward.Graph.Node.First(n => n.HasDomain && n.Domain is not ("" or "ai.onnx"));
            throw new UnsupportedOperatorException($"{custom.Domain}.{custom.OpType}", GradientContext.NodeName(custom), "custom-domain operator");
        }

        var initializers = forward.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        string imageInput = options.ImageInputName ?? SingleImageInput(forward.Graph, initializers);
        string scoresName = options.ScoresOutputName ?? SingleOutput(forward.Graph);
        foreach (var name in trainable)
        {
            if (!initializers.TryGetValue(name, out var t))
                throw new ArgumentException($"'{name}' is not an initializer of the model, so it cannot be trained.", nameof(trainable));
            if (t.DataType != (int)DataType.Float)
                throw new ArgumentException($"Initializer '{name}' has element type {(DataType)t.DataType}; only float parameters are trained.", nameof(trainable));
        }

        var declared = forward.Graph.Input.FirstOrDefault(i => i.Name == imageInput)
            ?? throw new ArgumentException($"The model has no input named '{imageInput}'.", nameof(options));
        var dims = FcnModelContract.Dims(declared);
        if (dims.Length != 4 || dims.Where((d, i) => d.Value is long v && v != imageShape[i]).Any())
            throw new ArgumentException(
                $"The image input '{imageInput}' is declared [{string.Join(", ", dims.Select(d => d.ToString()))}]; " +
                $"it cannot take a batch of shape [{string.Join(", ", imageShape)}]. Export the model with dynamic batch and spatial axes.",
                nameof(imageShape));
        var facts = ShapeProbe.Run(forward, imageInput, imageShape);
        var model = forward.Clone();
        var graph = model.Graph;
        var trainableSet = trainable.ToHashSet(StringComparer.Ordinal);
        var needs = PropagateNeedsGradient(graph, trainableSet, facts);
        if (!needs.Contains(scoresName))
            throw new ArgumentException("No trainable parameter influences the scores output; there is nothing to train.", nameof(trainable));

        long[] scoreShape = facts.Shape(scoresName);
        if (scoreShape.Length != 4 || scoreShape[0] != imageShape[0])
            throw new InvalidDataException($"The scores output '{scoresName}' has shape [{string.Join(", ", scoreShape)}]; expected [N, C, h, w] with N = {imageShape[0]}.");

        // Rewire: trainable initializers become inputs, the image input gets its static shape, outputs are replaced.
        var b = new OnnxGraphBuilder(graph);
        var removed = graph.Initializer.Where(t => trainableSet.Contains(t.Name)).ToList();
        foreach (var t in removed) graph.Initializer.Remove(t);
        var keptInputs = graph.Input.Where(i => i.Name != imageInput && !trainableSet.Contains(i.Name)).ToList();
        graph.Input.Clear();
        graph.Input.Add(OnnxGraphBuilder.ValueInfo(imageInput, DataType.Float, imageShape.Select(d => (OnnxDim)d).ToArray()));
        graph.Input.AddRange(keptInputs);
        foreach (var t in removed)
            graph.Input.Add(OnnxGraphBuilder.ValueInfo(t.Name, DataType.Float, t.Dims.Select(d => (OnnxDim)d).ToArray()));
        graph.Output.Clear();
        graph.ValueInfo.Clear();
        model.OpsetImport.Clear();
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = TrainingOpset });
        if (model.IrVersion < 8) model.IrVersion = 8;
        if (options.ActiveDropout) DropoutActivation.Activate(b, options.DropoutSeed);

        var forwardNodes = graph.Node.ToList();
        var ctx = new GradientContext(b, facts, needs, options);

        // Scores → (upsampled) logits at label resolution.
        string logits = scoresName;
        long classes = scoreShape[1];
        long[] labelShape = { scoreShape[0], scoreShape[2], scoreShape[3] };
        if (options.UpsampleScoresToInput && (scoreShape[2] != imageShape[2] || scoreShape[3] != imageShape[3]))
        {
            long[] upShape = { scoreShape[0], classes, imageShape[2], imageShape[3] };
            logits = ScoreResize.Emit(b, scoresName, ctx.Int64s(upShape), TrainingOpset, "scores_upsampled");
            facts.SetShape(logits, upShape);
            needs.Add(logits);
            forwardNodes.Add(graph.Node[^1]);
            labelShape = new[] { scoreShape[0], imageShape[2], imageShape[3] };
        }

        string labels = b.AddUniqueInput("labels", DataType.Int64, labelShape.Select(d => (OnnxDim)d).ToArray());
        string weights = b.AddUniqueInput("pixel_weights", DataType.Float, labelShape.Select(d => (OnnxDim)d).ToArray());
        var (loss, scoresGradient) = SoftmaxCrossEntropyGraph.Append(ctx, logits, labels, weights);
        ctx.Accumulate(logits, scoresGradient);

        for (int i = forwardNodes.Count - 1; i >= 0; i--)
        {
            var node = forwardNodes[i];
            if (GradientRules.NonDifferentiable.Contains(node.OpType)) continue;
            if (!node.Output.Any(ctx.HasGradient)) continue;
            GradientRules.All.TryGetValue(node.OpType, out var rule);
            bool anyInput = node.Input.Where((input, k) => rule?.IsDifferentiable(k) ?? true).Any(ctx.NeedsGradient);
            if (!anyInput) continue;
            if (rule is null) throw new UnsupportedOperatorException(node.OpType, GradientContext.NodeName(node));
            rule.Backward(ctx, node);
        }

        b.AddOutput(loss, DataType.Float);
        var biases = ParameterDiscovery.Biases(forward);
        var outputs = new HashSet<string>(StringComparer.Ordinal) { loss };
        var inputs = graph.Input.Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var parameters = new List<ParameterGradient>();
        foreach (var t in removed)
        {
            long[] shape = t.Dims.ToArray();
            string grad = ctx.GradientOf(t.Name) ?? ctx.Zeros(shape);
            long[] gradShape = shape;
            // A weight gradient that ends in a Reshape of a Gemm result is output as the Gemm result itself (same
            // values, flat shape): ORT then writes it straight into the bound buffer instead of copying it there.
            var producer = graph.Node.LastOrDefault(n => n.Output.Contains(grad));
            if (producer is { OpType: "Reshape" } && facts.HasShape(producer.Input[0])
                && facts.Shape(producer.Input[0]).Aggregate(1L, (a, d) => a * d) == shape.Aggregate(1L, (a, d) => a * d)
                && !outputs.Contains(producer.Input[0]) && !inputs.Contains(producer.Input[0])
                && graph.Node.Count(n => n.Input.Contains(producer.Input[0])) == 1
                && !graph.Node.Any(n => n.Input.Contains(grad)))
            {
                graph.Node.Remove(producer);
                grad = producer.Input[0];
                gradShape = facts.Shape(grad);
            }
            // A graph output must be a distinct value produced by a node.
            if (!outputs.Add(grad) || inputs.Contains(grad) || graph.Initializer.Any(x => x.Name == grad))
            {
                grad = b.NamedNode("Identity", "grad_" + t.Name, new[] { grad });
                outputs.Add(grad);
            }
            b.AddOutput(grad, DataType.Float, gradShape.Select(d => (OnnxDim)d).ToArray());
            parameters.Add(new ParameterGradient(t.Name, grad, shape, biases.Contains(t.Name)) { GradientShape = gradShape });
        }
        RemoveUnusedInitializers(graph);
        return new TrainingGraph(model, imageInput, imageShape, labels, weights, labelShape, loss, checked((int)classes), parameters);
    }

    /// <summary>
    /// Marks every float value that depends on a trainable parameter through differentiable inputs. Operators
    /// without a rule propagate the mark too, so reaching one on the way back is an error that names it.
    /// </summary>
    private static HashSet<string> PropagateNeedsGradient(GraphProto graph, HashSet<string> trainable, ValueFacts facts)
    {
        var needs = new HashSet<string>(trainable, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            if (GradientRules.NonDifferentiable.Contains(node.OpType)) continue;
            GradientRules.All.TryGetValue(node.OpType, out var rule);
            bool any = false;
            for (int i = 0; i < node.Input.Count && !any; i++)
                any = (rule?.IsDifferentiable(i) ?? true) && needs.Contains(node.Input[i]);
            if (!any) continue;
            foreach (var o in node.Output)
                if (o.Length > 0 && facts.TypeOf(o) == DataType.Float) needs.Add(o);
        }
        return needs;
    }

    /// <summary>Drops constants no node reads (e.g. the shape of a Reshape that was folded into an output).</summary>
    private static void RemoveUnusedInitializers(GraphProto graph)
    {
        var used = graph.Node.SelectMany(n => n.Input).Concat(graph.Output.Select(o => o.Name)).ToHashSet(StringComparer.Ordinal);
        foreach (var t in graph.Initializer.Where(t => !used.Contains(t.Name)).ToList()) graph.Initializer.Remove(t);
    }

    private static string SingleImageInput(GraphProto graph, Dictionary<string, TensorProto> initializers)
    {
        var inputs = graph.Input.Where(i => !initializers.ContainsKey(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InvalidDataException($"The model has {inputs.Count} non-initializer inputs; name the image input in the options.");
        return inputs[0].Name;
    }

    private static string SingleOutput(GraphProto graph)
    {
        if (graph.Output.Count != 1)
            throw new InvalidDataException($"The model has {graph.Output.Count} outputs; name the scores output in the options.");
        return graph.Output[0].Name;
    }
}
