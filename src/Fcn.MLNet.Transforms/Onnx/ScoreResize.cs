namespace Fcn.MLNet.Onnx;

/// <summary>
/// The one resize of coarse class scores to the input's size, shared by scoring (SegmentFcn's wrapper, sizes from the
/// image at run time) and training (the training graph, sizes fixed per session): bilinear with half-pixel centres,
/// PyTorch's <c>F.interpolate(mode="bilinear", align_corners=False)</c>, as torchvision's FCN resizes to the input.
/// </summary>
public static class ScoreResize
{
    /// <summary>
    /// Appends <c>Resize(scores)</c> to the int64 <c>[N, C, H, W]</c> target in <paramref name="sizes"/>; returns the
    /// output, named <paramref name="outputName"/>.
    /// </summary>
    public static string Emit(OnnxGraphBuilder b, string scores, string sizes, long opset, string outputName)
    {
        // Opsets 11–12 require roi and scales as (empty) tensors; from 13 on they may be omitted.
        string roi = opset >= 13 ? "" : b.AddFloats("resize_roi", ReadOnlySpan<float>.Empty, 0);
        string scales = opset >= 13 ? "" : b.AddFloats("resize_scales", ReadOnlySpan<float>.Empty, 0);
        return b.NamedNode("Resize", outputName, new[] { scores, roi, scales, sizes },
            OnnxAttribute.String("mode", "linear"),
            OnnxAttribute.String("coordinate_transformation_mode", "half_pixel"));
    }
}
