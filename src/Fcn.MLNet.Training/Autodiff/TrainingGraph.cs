using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>Options of <see cref="GradientGraphBuilder"/>.</summary>
public sealed record GradientGraphOptions
{
    /// <summary>The image input; null picks the forward graph's only non-initializer input.</summary>
    public string? ImageInputName { get; init; }

    /// <summary>The class-score output <c>[N, C, h, w]</c>; null picks the forward graph's only output.</summary>
    public string? ScoresOutputName { get; init; }

    /// <summary>
    /// When the scores are coarser than the image, upsample them bilinearly (half-pixel centres, as SegmentFcn does
    /// at inference) to the image size inside the training graph, so labels are given at image resolution.
    /// When false, labels are given at the scores' resolution.
    /// </summary>
    public bool UpsampleScoresToInput { get; init; } = true;

    /// <summary>Run Dropout nodes in training mode (random masks, seeded); otherwise they are the identity.</summary>
    public bool ActiveDropout { get; init; }

    /// <summary>Seed of the first Dropout node's mask generator (the next nodes use seed + 1, …).</summary>
    public int DropoutSeed { get; init; }
}

/// <summary>A trainable parameter of a training graph and the graph output that holds its gradient.</summary>
/// <param name="Name">The initializer's name in the forward graph (and the training graph's input).</param>
/// <param name="GradientOutput">The training graph's output holding ∂loss/∂parameter.</param>
/// <param name="Shape">The parameter's shape.</param>
/// <param name="IsBias">True when the parameter feeds a bias slot (Conv, ConvTranspose, Gemm input C, BatchNormalization B).</param>
public sealed record ParameterGradient(string Name, string GradientOutput, long[] Shape, bool IsBias)
{
    /// <summary>
    /// The shape the gradient output is declared with: <see cref="Shape"/>, or a flat view of it with the same
    /// elements in the same order (a Conv weight gradient comes out of its Gemm as [M, C·kh·kw]).
    /// </summary>
    public long[] GradientShape { get; init; } = Shape;
}

/// <summary>
/// One training step as an ONNX model, for one static image shape: inputs are the image batch, the labels, the
/// per-pixel loss weights and every trainable parameter; outputs are the scalar loss and one gradient per
/// trainable parameter. Frozen parameters stay initializers.
/// </summary>
public sealed class TrainingGraph
{
    internal TrainingGraph(ModelProto model, string imageInput, long[] imageShape, string labelsInput, string weightsInput,
        long[] labelShape, string lossOutput, int classes, IReadOnlyList<ParameterGradient> parameters)
    {
        Model = model;
        ImageInput = imageInput;
        ImageShape = imageShape;
        LabelsInput = labelsInput;
        PixelWeightsInput = weightsInput;
        LabelShape = labelShape;
        LossOutput = lossOutput;
        Classes = classes;
        Parameters = parameters;
    }

    /// <summary>The training-step model.</summary>
    public ModelProto Model { get; }

    /// <summary>Image input, float <see cref="ImageShape"/>.</summary>
    public string ImageInput { get; }

    /// <summary>[N, 3, H, W].</summary>
    public long[] ImageShape { get; }

    /// <summary>Labels input, int64 <see cref="LabelShape"/>, every value in [0, C).</summary>
    public string LabelsInput { get; }

    /// <summary>Per-pixel loss weights input, float <see cref="LabelShape"/> (see <see cref="Loss.PixelWeights"/>).</summary>
    public string PixelWeightsInput { get; }

    /// <summary>[N, H', W']: the image size, or the score size when scores are not upsampled.</summary>
    public long[] LabelShape { get; }

    /// <summary>Scalar float loss output.</summary>
    public string LossOutput { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>The trainable parameters, in the order of the gradient outputs.</summary>
    public IReadOnlyList<ParameterGradient> Parameters { get; }
}
