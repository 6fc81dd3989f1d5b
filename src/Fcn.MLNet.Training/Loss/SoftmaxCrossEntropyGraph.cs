using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training.Autodiff;

namespace Fcn.MLNet.Training.Loss;

/// <summary>
/// The loss and its gradient as ONNX ops. With per-pixel weights w (already normalised so that they sum to 1 over the
/// batch, see <see cref="PixelWeights"/>), labels y and scores s <c>[N, C, H, W]</c>:
/// <c>L = Σᵢ wᵢ · (−log softmax(sᵢ)[yᵢ])</c> and <c>∂L/∂sᵢ = wᵢ · (softmax(sᵢ) − onehot(yᵢ))</c>.
/// The log-probabilities come from SoftmaxCrossEntropyLoss's second output (a Softmax over axis 1 of NCHW is slow
/// in ONNX Runtime); ignored pixels arrive with label 0 and weight 0, so no NaN can appear.
/// </summary>
internal static class SoftmaxCrossEntropyGraph
{
    /// <summary>Appends the loss of <paramref name="scores"/>; returns the scalar loss and the gradient of the scores.</summary>
    public static (string Loss, string ScoresGradient) Append(GradientContext ctx, string scores, string labels, string weights, long classes)
    {
        var outputs = ctx.B.Node("SoftmaxCrossEntropyLoss", new[] { scores, labels }, 2, "xent",
            OnnxAttribute.String("reduction", "none"));
        string perPixel = outputs[0], logProb = outputs[1];
        string loss = ctx.B.NamedNode("ReduceSum", "loss", new[] { ctx.Mul(perPixel, weights) }, OnnxAttribute.Int("keepdims", 0));

        string oneHot = ctx.Op("OneHot", "onehot", new[]
        {
            labels,
            ctx.ScalarInt64(classes),
            ctx.Shared("onehot_values", () => ctx.B.AddFloats("onehot_values", new[] { 0f, 1f }, 2)),
        }, OnnxAttribute.Int("axis", 1));
        string residual = ctx.Op("Sub", "softmax_minus_onehot", new[] { ctx.Op("Exp", "softmax", new[] { logProb }), oneHot });
        string weights4 = ctx.Op("Unsqueeze", "pixel_weights_c", new[] { weights, ctx.Int64s(1) });
        return (loss, ctx.Op("Mul", "scores_grad", new[] { residual, weights4 }));
    }
}
