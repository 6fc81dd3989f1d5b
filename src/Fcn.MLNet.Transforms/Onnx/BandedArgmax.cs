using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// The bilinear resize of coarse scores to the image and the argmax over classes, done in bands of
/// <see cref="BandRows"/> output rows by an ONNX Loop, so the full-resolution score tensor (C × H × W floats: about
/// 1 GB for 21 classes on a 4000×3000 photo) never exists; a band holds C × BandRows × W. Exactly the resize
/// <see cref="ScoreResize"/> does (half-pixel centres, edges clamped): each band takes the two coarse rows around each
/// of its output rows (Gather), blends them, and resizes across the width only.
/// </summary>
internal static class BandedArgmax
{
    /// <summary>Output rows per band.</summary>
    public const long BandRows = 64;

    /// <summary>
    /// Appends the banded resize and argmax of <paramref name="scores"/> <c>[1, C, h, w]</c> to the size in
    /// <paramref name="sizeInput"/> (int64 (H, W)); returns the class map (H·W, row-major, int32 or with
    /// <paramref name="bytes"/> uint8, as <see cref="SegmentationGraph.Argmax"/> gives it) and, when asked, the winning
    /// score (float, H·W). Nodes go to <paramref name="nodes"/> (a tile Loop's body, or the main graph), constants to
    /// <paramref name="constants"/>.
    /// </summary>
    public static (string Classes, string? Best) Emit(OnnxGraphBuilder nodes, OnnxGraphBuilder constants, string scores, string sizeInput,
        long opset, bool emitScore, bool bytes)
    {
        long[] Scalar() => Array.Empty<long>();
        string shape = nodes.Node("Shape", new[] { scores });
        string nc = nodes.Node("Slice", new[] { shape, constants.AddInt64s("band_nc0", new long[] { 0 }, 1), constants.AddInt64s("band_nc1", new long[] { 2 }, 1) });
        string coarseH = nodes.Node("Slice", new[] { shape, constants.AddInt64s("band_h0", new long[] { 2 }, 1), constants.AddInt64s("band_h1", new long[] { 3 }, 1) });
        string height = nodes.Node("Slice", new[] { sizeInput, constants.AddInt64s("band_H0", new long[] { 0 }, 1), constants.AddInt64s("band_H1", new long[] { 1 }, 1) });
        string width = nodes.Node("Slice", new[] { sizeInput, constants.AddInt64s("band_W0", new long[] { 1 }, 1), constants.AddInt64s("band_W1", new long[] { 2 }, 1) });
        string coarseHf = nodes.Node("Cast", new[] { coarseH }, OnnxAttribute.Int("to", (long)DataType.Float));
        string ratio = nodes.NamedNode("Div", "band_row_ratio", new[] { coarseHf, nodes.Node("Cast", new[] { height }, OnnxAttribute.Int("to", (long)DataType.Float)) });
        string lastRow = nodes.NamedNode("Sub", "band_last_coarse_row", new[] { coarseHf, constants.AddFloats("band_one", new[] { 1f }, 1) });
        string bandRows = constants.AddInt64s("band_rows", new[] { BandRows }, 1);
        // Bands = ceil(H / BandRows), as the Loop's scalar trip count.
        string bands = nodes.Node("Div", new[] { nodes.Node("Add", new[] { height, constants.AddInt64s("band_round_up", new[] { BandRows - 1 }, 1) }), bandRows });
        string trips = nodes.NamedNode("Reshape", "band_count", new[] { bands, constants.AddInt64s("band_scalar", Scalar(), 0) });
        string bandSizes = nodes.NamedNode("Concat", "band_sizes", new[] { nc, bandRows, width }, OnnxAttribute.Int("axis", 0));

        var body = nodes.Subgraph("banded_argmax");
        string iteration = body.AddScalarInput("band_index", DataType.Int64);
        string condition = body.AddScalarInput("band_cond_in", DataType.Bool);
        string first = body.Node("Mul", new[] { iteration, constants.AddInt64s("band_rows_scalar", new[] { BandRows }) });
        string rows = body.Node("Range", new[] { first, body.Node("Add", new[] { first, constants.AddInt64s("band_rows_step", new[] { BandRows }) }), constants.AddInt64s("band_one_step", new long[] { 1 }) });
        // Source row of each output row: (y + 0.5)·h/H − 0.5, clamped to [0, h − 1] (ScoreResize's half-pixel rule).
        string y = body.Node("Cast", new[] { rows }, OnnxAttribute.Int("to", (long)DataType.Float));
        string half = constants.AddFloats("band_half", new[] { 0.5f }, 1);
        string source = body.Node("Sub", new[] { body.Node("Mul", new[] { body.Node("Add", new[] { y, half }), ratio }), half });
        source = body.Node("Min", new[] { body.Node("Max", new[] { source, constants.AddFloats("band_zero", new[] { 0f }, 1) }), lastRow });
        string lowF = body.Node("Floor", new[] { source });
        string highF = body.Node("Min", new[] { body.Node("Add", new[] { lowF, constants.AddFloats("band_next", new[] { 1f }, 1) }), lastRow });
        string fraction = body.Node("Reshape", new[] { body.Node("Sub", new[] { source, lowF }), constants.AddInt64s("band_fraction_shape", new long[] { 1, 1, -1, 1 }, 4) });
        string low = body.Node("Gather", new[] { scores, body.Node("Cast", new[] { lowF }, OnnxAttribute.Int("to", (long)DataType.Int64)) }, OnnxAttribute.Int("axis", 2));
        string high = body.Node("Gather", new[] { scores, body.Node("Cast", new[] { highF }, OnnxAttribute.Int("to", (long)DataType.Int64)) }, OnnxAttribute.Int("axis", 2));
        string blended = body.Node("Add", new[] { low, body.Node("Mul", new[] { body.Node("Sub", new[] { high, low }), fraction }) });
        string band = ScoreResize.Emit(body, blended, bandSizes, opset, "band_scores"); // rows stay, columns resize

        var (classes, best) = SegmentationGraph.Argmax(body, constants, band, opset, emitScore, bytes);
        body.AddOutput(body.NamedNode("Identity", "band_cond_out", new[] { condition }), DataType.Bool);
        body.AddOutput(body.NamedNode("Identity", "band_classes", new[] { classes }), bytes ? DataType.Uint8 : DataType.Int32);
        if (best is not null) body.AddOutput(body.NamedNode("Identity", "band_best", new[] { best }), DataType.Float);

        var outputs = nodes.Node("Loop", new[] { trips, "" }, emitScore ? 2 : 1, "banded", OnnxAttribute.Graph("body", body.Graph));
        // Scan outputs stack the bands: [bands, 1, BandRows, W] → [bands·BandRows, W] → the first H rows, flattened.
        string rowsByWidth = nodes.Node("Concat", new[] { constants.AddInt64s("band_minus_one", new long[] { -1 }, 1), width }, OnnxAttribute.Int("axis", 0));
        string Flatten(string stacked) => nodes.Node("Reshape", new[]
        {
            nodes.Node("Slice", new[] { nodes.Node("Reshape", new[] { stacked, rowsByWidth }), constants.AddInt64s("band_top", new long[] { 0 }, 1), height }),
            constants.AddInt64s("band_flat", new long[] { -1 }, 1),
        });
        return (Flatten(outputs[0]), emitScore ? Flatten(outputs[1]) : null);
    }
}
