using Fcn.MLNet.Onnx.Proto;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>
/// The ONNX side of <see cref="TiledScoring"/>. An ONNX Loop runs once per tile: it slices the tile from the 8-bit
/// image, normalises it, runs the FCN's nodes (moved into the Loop's body; the weights stay shared initializers), resizes
/// coarse scores to the tile and takes the argmax, band by band (<see cref="BandedArgmax"/>, so the tile's
/// full-resolution scores never exist either). The tiles' class maps are stacked (the Loop's scan output) and the
/// image's map is gathered from them: row y comes from the tile row that owns y (tiles meet halfway through their
/// overlap), column x likewise. Only one tile's activations and scores exist at a time.
/// </summary>
internal static class TiledScoringGraph
{
    /// <summary>
    /// Appends tiled scoring of <paramref name="pixels"/> (uint8 <c>[1, 3·H·W]</c>, planar) of size
    /// <paramref name="sizeInput"/>; <paramref name="fcnNodes"/> (already taken out of the graph) read
    /// <paramref name="fcnInput"/> and write <paramref name="fcnOutput"/>. Returns the class map (int32, H·W) and, when
    /// asked, the winning score (float, H·W). With <paramref name="bytes"/> the class map is uint8 throughout, tiles,
    /// stitching and output (<see cref="SegmentationGraph.HasByteClassMap"/>).
    /// </summary>
    public static (string Classes, string? Best) Emit(OnnxGraphBuilder b, IReadOnlyList<NodeProto> fcnNodes, string fcnInput, string fcnOutput,
        FcnModelContract contract, ImagePreprocessing preprocessing, bool emitScore, TiledScoring tiling, TestTimeAugmentation? tta,
        string pixels, string sizeInput, bool bytes)
    {
        tiling.Validate();
        long opset = contract.Opset;
        string Scalar(string x) => b.Node("Reshape", new[] { x, b.AddInt64s("tile_scalar", Array.Empty<long>(), 0) });
        string image8 = SegmentationGraph.ImageFromPixels(b, pixels, sizeInput, "image_uint8");
        string height = b.Node("Slice", new[] { sizeInput, b.AddInt64s("tile_h0", new long[] { 0 }, 1), b.AddInt64s("tile_h1", new long[] { 1 }, 1) });
        string width = b.Node("Slice", new[] { sizeInput, b.AddInt64s("tile_w0", new long[] { 1 }, 1), b.AddInt64s("tile_w1", new long[] { 2 }, 1) });
        string tile = b.AddInt64s("tile_size", new long[] { tiling.TileSize }, 1);
        string stride = b.AddInt64s("tile_stride", new long[] { tiling.TileSize - tiling.Overlap }, 1);
        // A tile is TileSize square, or the image's side where that is smaller; tiles per side = ceil((L − t) / stride) + 1.
        string tileH = b.NamedNode("Where", "tile_height", new[] { b.Node("Less", new[] { height, tile }), height, tile });
        string tileW = b.NamedNode("Where", "tile_width", new[] { b.Node("Less", new[] { width, tile }), width, tile });
        string lastY = b.Node("Sub", new[] { height, tileH }), lastX = b.Node("Sub", new[] { width, tileW });
        string strideMinusOne = b.AddInt64s("tile_stride_minus_one", new long[] { tiling.TileSize - tiling.Overlap - 1 }, 1);
        string one = b.AddInt64s("tile_one", new long[] { 1 }, 1);
        string rows = b.NamedNode("Add", "tile_rows", new[] { b.Node("Div", new[] { b.Node("Add", new[] { lastY, strideMinusOne }), stride }), one });
        string cols = b.NamedNode("Add", "tile_cols", new[] { b.Node("Div", new[] { b.Node("Add", new[] { lastX, strideMinusOne }), stride }), one });
        string tileSize = b.NamedNode("Concat", "tile_hw", new[] { tileH, tileW }, OnnxAttribute.Int("axis", 0));
        // Origin of tile k along a side: min(k·stride, L − t) (the last one is moved back to end at the edge).
        string Origin(OnnxGraphBuilder nodes, string k, string last)
        {
            string at = nodes.Node("Mul", new[] { k, stride });
            return nodes.Node("Where", new[] { nodes.Node("Less", new[] { at, last }), at, last });
        }

        // The Loop's body: tile k = (i, j) in row-major order.
        var body = b.Subgraph("tiled_scoring");
        string k = body.AddScalarInput("tile_index", DataType.Int64);
        string condition = body.AddScalarInput("tile_cond_in", DataType.Bool);
        string k1 = body.Node("Reshape", new[] { k, b.AddInt64s("tile_vector", new long[] { 1 }, 1) });
        string i = body.Node("Div", new[] { k1, cols });
        string j = body.Node("Sub", new[] { k1, body.Node("Mul", new[] { i, cols }) });
        string y0 = Origin(body, i, lastY), x0 = Origin(body, j, lastX);
        string starts = body.Node("Concat", new[] { y0, x0 }, OnnxAttribute.Int("axis", 0));
        string ends = body.Node("Add", new[] { starts, tileSize });
        string tile8 = body.Node("Slice", new[] { image8, starts, ends, b.AddInt64s("tile_axes", new long[] { 2, 3 }, 2) });
        string x = SegmentationGraph.Normalize(body, b, body.Node("Cast", new[] { tile8 }, OnnxAttribute.Int("to", (long)DataType.Float)), preprocessing);
        string ResizeToTile(OnnxGraphBuilder nodes, string s)
        {
            string shape = nodes.Node("Shape", new[] { s });
            string nc = nodes.Node("Slice", new[] { shape, b.AddInt64s("tile_nc0", new long[] { 0 }, 1), b.AddInt64s("tile_nc1", new long[] { 2 }, 1) });
            return ScoreResize.Emit(nodes, s, nodes.Node("Concat", new[] { nc, tileSize }, OnnxAttribute.Int("axis", 0)), opset, "tile_scores");
        }
        foreach (var node in fcnNodes)
            for (int n = 0; n < node.Input.Count; n++)
                if (node.Input[n] == fcnInput) node.Input[n] = x;
        string classes;
        string? best;
        if (tta is not null)
        {
            string probabilities = TestTimeAugmentationGraph.Emit(body, fcnNodes, x, fcnOutput, contract.OutputMatchesInputSize, opset, tileSize, tta, ResizeToTile);
            (classes, best) = SegmentationGraph.Argmax(body, b, probabilities, opset, emitScore, bytes);
        }
        else
        {
            body.Graph.Node.Add(fcnNodes);
            (classes, best) = contract.OutputMatchesInputSize
                ? SegmentationGraph.Argmax(body, b, fcnOutput, opset, emitScore, bytes)
                : BandedArgmax.Emit(body, b, fcnOutput, tileSize, opset, emitScore, bytes);
        }
        body.AddOutput(body.NamedNode("Identity", "tile_cond_out", new[] { condition }), DataType.Bool);
        body.AddOutput(body.NamedNode("Identity", "tile_classes", new[] { classes }), bytes ? DataType.Uint8 : DataType.Int32);
        if (best is not null) body.AddOutput(body.NamedNode("Identity", "tile_best", new[] { best }), DataType.Float);
        string count = Scalar(b.Node("Mul", new[] { rows, cols }));
        var stacked = b.Node("Loop", new[] { count, "" }, emitScore ? 2 : 1, "tiles", OnnxAttribute.Graph("body", body.Graph));

        // Which tile row owns image row y: the number of seams at or above y, a seam lying halfway through the overlap
        // of tiles k − 1 and k: (origin(k − 1) + origin(k) + t) / 2. A sentinel seam at L keeps the list non-empty.
        string Owner(string length, string count, string t, string last, string ownerStride)
        {
            string ks = b.Node("Range", new[] { b.AddInt64s("tile_first_seam", new long[] { 1 }), Scalar(count), b.AddInt64s("tile_step", new long[] { 1 }) });
            string seams = b.Node("Div", new[]
            {
                b.Node("Add", new[] { b.Node("Add", new[] { Origin(b, ks, last), Origin(b, b.Node("Sub", new[] { ks, one }), last) }), t }),
                b.AddInt64s("tile_two", new long[] { 2 }, 1),
            });
            seams = b.Node("Concat", new[] { seams, length }, OnnxAttribute.Int("axis", 0));
            string positions = b.Node("Range", new[] { b.AddInt64s("tile_zero", new long[] { 0 }), Scalar(length), b.AddInt64s("tile_step1", new long[] { 1 }) });
            string below = b.Node("Not", new[] { b.Node("Less", new[]
            {
                b.Node("Reshape", new[] { positions, b.AddInt64s("tile_column", new long[] { -1, 1 }, 2) }),
                b.Node("Reshape", new[] { seams, b.AddInt64s("tile_row", new long[] { 1, -1 }, 2) }),
            }) });
            string counts = b.Node("Cast", new[] { below }, OnnxAttribute.Int("to", (long)DataType.Int64));
            string owner = opset >= 13
                ? b.Node("ReduceSum", new[] { counts, b.AddInt64s("tile_sum_axis", new long[] { 1 }, 1) }, OnnxAttribute.Int("keepdims", 0))
                : b.Node("ReduceSum", new[] { counts }, OnnxAttribute.Ints("axes", 1), OnnxAttribute.Int("keepdims", 0));
            // owner·ownerStride + (position − origin(owner)): where the position lies in the stacked tiles.
            return b.Node("Add", new[] { b.Node("Mul", new[] { owner, ownerStride }), b.Node("Sub", new[] { positions, Origin(b, owner, last) }) });
        }
        // The stacked tiles, [rows·cols, …, t_h, t_w], read as [rows·cols·t_h, t_w]: image row y of tile column c is row
        // (owner(y)·cols + c)·t_h + (y − origin(owner(y))). One Gather picks every tile column's rows ([H, cols, t_w]),
        // a second picks the columns ([H, W]); no transposed copy of the tiles is made.
        string rowBase = Owner(height, rows, tileH, lastY, b.Node("Mul", new[] { cols, tileH }));
        string columnStarts = b.Node("Mul", new[] { b.Node("Range", new[] { b.AddInt64s("tile_col0", new long[] { 0 }), Scalar(cols), b.AddInt64s("tile_col_step", new long[] { 1 }) }), tileH });
        string rowIndex = b.Node("Add", new[]
        {
            b.Node("Reshape", new[] { rowBase, b.AddInt64s("tile_row_base", new long[] { -1, 1 }, 2) }),
            b.Node("Reshape", new[] { columnStarts, b.AddInt64s("tile_col_starts", new long[] { 1, -1 }, 2) }),
        });
        string colIndex = Owner(width, cols, tileW, lastX, tileW);
        string Assemble(string tiles)
        {
            string tileRows = b.Node("Reshape", new[] { tiles, b.Node("Concat", new[] { b.AddInt64s("tile_all_rows", new long[] { -1 }, 1), tileW }, OnnxAttribute.Int("axis", 0)) });
            string picked = b.Node("Gather", new[] { tileRows, rowIndex }, OnnxAttribute.Int("axis", 0)); // [H, cols, t_w]
            string bands = b.Node("Reshape", new[] { picked, b.Node("Concat", new[] { height, b.Node("Mul", new[] { cols, tileW }) }, OnnxAttribute.Int("axis", 0)) });
            return b.Node("Reshape", new[]
            {
                b.Node("Gather", new[] { bands, colIndex }, OnnxAttribute.Int("axis", 1)),
                b.AddInt64s("tile_flat", new long[] { -1 }, 1),
            });
        }
        string map = Assemble(stacked[0]);
        return (map, emitScore ? Assemble(stacked[1]) : null);
    }
}
