using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training.Autodiff;

namespace Fcn.MLNet.Training.Loss;

/// <summary>
/// The loss and its gradient as ONNX ops. With per-pixel weights w (already normalised so that they sum to 1 over the
/// batch, see <see cref="PixelWeights"/>), labels y and scores s <c>[N, C, H, W]</c>:
/// <c>L = Σᵢ wᵢ · (−log softmax(sᵢ)[yᵢ])</c> and <c>∂L/∂sᵢ = wᵢ · (softmax(sᵢ) − onehot(yᵢ))</c>, computed as
/// wᵢ·softmax(sᵢ) with −wᵢ scattered onto channel yᵢ.
/// The log-probabilities come from SoftmaxCrossEntropyLoss's second output (a Softmax over axis 1 of NCHW is slow
/// in ONNX Runtime); ignored pixels arrive with label 0 and weight 0, so no NaN can appear.
/// </summary>
internal static class SoftmaxCrossEntropyGraph
{
    /// <summary>Appends the loss of <paramref name="scores"/>; returns the scalar loss and the gradient of the scores.</summary>
    public static (string Loss, string ScoresGradient) Append(GradientContext ctx, string scores, string labels, string weights)
    {
        var outputs = ctx.B.Node("SoftmaxCrossEntropyLoss", new[] { scores, labels }, 2, "xent",
            OnnxAttribute.String("reduction", "none"));
        string perPixel = outputs[0], logProb = outputs[1];
        // Σ over W, then H (short float32 running sums, see GradientContext.ReduceSum), then over N into "loss".
        string perImage = ctx.ReduceSum(ctx.Mul(perPixel, weights), new long[] { 1, 2 }, keepDims: false);
        string loss = ctx.B.NamedNode("ReduceSum", "loss", new[] { perImage }, OnnxAttribute.Int("keepdims", 0));

        // w·softmax everywhere, then −w added at each pixel's label channel: one ScatterElements over N·H·W
        // updates instead of a dense one-hot tensor of N·C·H·W.
        string weights4 = ctx.Op("Unsqueeze", "pixel_weights_c", new[] { weights, ctx.Int64s(1) });
        string weighted = ctx.Mul(ctx.Op("Exp", "softmax", new[] { logProb }), weights4);
        string labels4 = ctx.Op("Unsqueeze", "labels_c", new[] { labels, ctx.Int64s(1) });
        string gradient = ctx.Op("ScatterElements", "scores_grad", new[] { weighted, labels4, ctx.Op("Neg", "minus_weights", new[] { weights4 }) },
            OnnxAttribute.Int("axis", 1), OnnxAttribute.String("reduction", "add"));
        return (loss, gradient);
    }
}
