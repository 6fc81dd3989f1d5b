using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// Backward rule of Resize (modes nearest and linear, on the two spatial axes). Resize is linear in X and
/// separable: along each axis output o reads input positions with weights given by the coordinate transformation
/// (half_pixel, pytorch_half_pixel, align_corners, asymmetric) and, for nearest, the rounding mode. With those
/// weights as constant matrices R_h [oh, h] and R_w [ow, w], Y = R_h · X · R_wᵀ per plane, so
/// dX = R_hᵀ · dY · R_w: two MatMuls. The matrices reproduce ONNX Runtime's forward arithmetic (coordinates
/// clamped to the input for linear; indices clamped for nearest).
/// </summary>
internal static class ResizeGradients
{
    public static void Register(Dictionary<string, OpGradient> rules) =>
        rules["Resize"] = new OpGradient(new[] { 0 }, Resize);

    private static void Resize(GradientContext ctx, NodeProto node)
    {
        var dY = ctx.OutputGradient(node);
        string x = node.Input[0];
        if (dY is null || !ctx.NeedsGradient(x)) return;
        long[] xs = ctx.Shape(x), ys = ctx.Shape(node.Output[0]);
        if (xs.Length != 4) throw GradientContext.Unsupported(node, $"Resize of a rank-{xs.Length} tensor (only [N, C, H, W])");
        if (xs[0] != ys[0] || xs[1] != ys[1]) throw GradientContext.Unsupported(node, "Resize over the batch or channel axis");
        string mode = OnnxAttribute.Find(node, "mode")?.S.ToStringUtf8() ?? "nearest";
        string transform = OnnxAttribute.Find(node, "coordinate_transformation_mode")?.S.ToStringUtf8() ?? "half_pixel";
        string nearestMode = OnnxAttribute.Find(node, "nearest_mode")?.S.ToStringUtf8() ?? "round_prefer_floor";
        if (mode is not ("nearest" or "linear")) throw GradientContext.Unsupported(node, $"Resize mode '{mode}'");
        if (transform is not ("half_pixel" or "pytorch_half_pixel" or "align_corners" or "asymmetric"))
            throw GradientContext.Unsupported(node, $"coordinate_transformation_mode '{transform}'");
        float[]? scales = node.Input.Count > 2 ? ctx.OptionalFloats(node, 2) : null;
        if (scales is { Length: 0 }) scales = null;

        string g = dY;
        // Width first: [N, C, oh, ow] · R_w [ow, w] → [N, C, oh, w]; then R_hᵀ [h, oh] · (…) → [N, C, h, w].
        var rw = Matrix(xs[3], ys[3], scales?[3], mode, transform, nearestMode);
        if (!IsIdentity(rw, xs[3], ys[3]))
            g = ctx.Op("MatMul", x + "_grad_w", new[] { g, ctx.Floats("resize_w", rw, ys[3], xs[3]) });
        var rh = Matrix(xs[2], ys[2], scales?[2], mode, transform, nearestMode);
        if (!IsIdentity(rh, xs[2], ys[2]))
            g = ctx.Op("MatMul", x + "_grad_h", new[] { ctx.Floats("resize_hT", Transpose(rh, ys[2], xs[2]), xs[2], ys[2]), g });
        ctx.Accumulate(x, g);
    }

    /// <summary>
    /// The [outSize, inSize] interpolation matrix of one axis, as ONNX Runtime computes the forward Resize.
    /// </summary>
    internal static float[] Matrix(long inSize, long outSize, float? scale, string mode, string transform, string nearestMode)
    {
        var m = new float[outSize * inSize];
        float s = scale ?? (float)outSize / inSize;
        for (long o = 0; o < outSize; o++)
        {
            float coord = transform switch
            {
                "half_pixel" => (o + 0.5f) / s - 0.5f,
                "pytorch_half_pixel" => outSize > 1 ? (o + 0.5f) / s - 0.5f : 0f,
                "align_corners" => outSize == 1 ? 0f : o * (float)(inSize - 1) / (outSize - 1),
                _ => o / s, // asymmetric
            };
            if (mode == "nearest")
            {
                long i = nearestMode switch
                {
                    "floor" => (long)MathF.Floor(coord),
                    "ceil" => (long)MathF.Ceiling(coord),
                    "round_prefer_ceil" => (long)MathF.Floor(coord + 0.5f),
                    _ => coord == MathF.Floor(coord) + 0.5f ? (long)MathF.Floor(coord) : (long)MathF.Round(coord),
                };
                m[o * inSize + Math.Clamp(i, 0, inSize - 1)] += 1f;
                continue;
            }
            float c = Math.Clamp(coord, 0f, inSize - 1);
            long i0 = Math.Min((long)c, inSize - 1), i1 = Math.Min(i0 + 1, inSize - 1);
            float f = c - i0;
            m[o * inSize + i0] += 1f - f;
            m[o * inSize + i1] += f;
        }
        return m;
    }

    private static bool IsIdentity(float[] m, long inSize, long outSize)
    {
        if (inSize != outSize) return false;
        for (long i = 0; i < inSize; i++)
            for (long j = 0; j < inSize; j++)
                if (m[i * inSize + j] != (i == j ? 1f : 0f)) return false;
        return true;
    }

    private static float[] Transpose(float[] m, long rows, long cols)
    {
        var t = new float[m.Length];
        for (long r = 0; r < rows; r++)
            for (long c = 0; c < cols; c++)
                t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
