namespace Fcn.MLNet.Onnx;

/// <summary>
/// Shift-and-stitch (paper 3.2): dense predictions from a coarse net without in-network upsampling. For a net of
/// output stride S and a factor f dividing S, the input is shifted up/left by k·S/f pixels for every
/// (ky, kx) ∈ {0..f−1}², the f² shifted images run as one batch, and the outputs are interlaced so that map index
/// i·f + k lands on input position (S/f)(i·f + k): the result has stride S/f (S/f = 1 gives a prediction per pixel).
/// It costs f² forward passes; the paper preferred learned upsampling.
/// </summary>
public static class ShiftAndStitch
{
    /// <summary>
    /// Adds the shifted batch for image <paramref name="x"/> (<c>[1, C, H, W]</c>) and returns its name
    /// (<c>[f², C, H, W]</c>, zero-filled where shifted out).
    /// </summary>
    public static string ShiftedBatch(OnnxGraphBuilder b, string x, int stride, int factor)
    {
        Validate(stride, factor);
        int step = stride / factor;
        var shifted = new List<string>();
        for (int ky = 0; ky < factor; ky++)
            for (int kx = 0; kx < factor; kx++)
            {
                long dy = ky * step, dx = kx * step;
                // Slice [dy:, dx:] then pad bottom/right by (dy, dx): the image moves up/left, keeping H×W.
                string cropped = b.Node("Slice", new[]
                {
                    x, b.AddInt64s("sas_start", new[] { dy, dx }, 2), b.AddInt64s("sas_end", new[] { long.MaxValue, long.MaxValue }, 2),
                    b.AddInt64s("sas_axes", new long[] { 2, 3 }, 2),
                });
                shifted.Add(b.Node("Pad", new[] { cropped, b.AddInt64s("sas_pads", new long[] { 0, 0, 0, 0, 0, 0, dy, dx }, 8) }));
            }
        return b.NamedNode("Concat", "shifted_batch", shifted, OnnxAttribute.Int("axis", 0));
    }

    /// <summary>Interlaces <c>[f², C, h, w]</c> scores into <c>[1, C, h·f, w·f]</c>.</summary>
    public static string Interlace(OnnxGraphBuilder b, string scores, int factor)
    {
        // [f·f, C, h, w] → [f, f, C, h, w] → [C, h, f(y), w, f(x)] → [1, C, h·f, w·f]
        string shape = b.Node("Shape", new[] { scores });
        string chw = b.Node("Slice", new[] { shape, b.AddInt64s("sas_chw0", new long[] { 1 }, 1), b.AddInt64s("sas_chw1", new long[] { 4 }, 1) });
        string splitShape = b.Node("Concat", new[] { b.AddInt64s("sas_ff", new long[] { factor, factor }, 2), chw }, OnnxAttribute.Int("axis", 0));
        string split = b.Node("Reshape", new[] { scores, splitShape });
        string moved = b.Node("Transpose", new[] { split }, OnnxAttribute.Ints("perm", 2, 3, 0, 4, 1));
        string c = b.Node("Slice", new[] { shape, b.AddInt64s("sas_c0", new long[] { 1 }, 1), b.AddInt64s("sas_c1", new long[] { 2 }, 1) });
        string hw = b.Node("Slice", new[] { shape, b.AddInt64s("sas_hw0", new long[] { 2 }, 1), b.AddInt64s("sas_hw1", new long[] { 4 }, 1) });
        string dense = b.Node("Mul", new[] { hw, b.AddInt64s("sas_f", new long[] { factor, factor }, 2) });
        string target = b.Node("Concat", new[] { b.AddInt64s("sas_one", new long[] { 1 }, 1), c, dense }, OnnxAttribute.Int("axis", 0));
        return b.NamedNode("Reshape", "stitched_scores", new[] { moved, target });
    }

    /// <summary>Throws unless f ≥ 1 divides S.</summary>
    public static void Validate(int stride, int factor)
    {
        if (factor < 1 || stride < 1 || stride % factor != 0)
            throw new ArgumentException($"Shift-and-stitch needs a factor f ≥ 1 dividing the output stride S; got f = {factor}, S = {stride}.");
    }
}
