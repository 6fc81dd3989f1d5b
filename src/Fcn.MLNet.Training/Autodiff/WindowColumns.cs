using Fcn.MLNet.Onnx;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// im2col as ONNX ops: the sliding windows of a tensor <c>[N, C, H, W]</c> laid out as columns. For
/// <c>groups</c> = 1, sample n gives <c>[C·kh·kw, gh·gw]</c>, built from row blocks: the zero-padded source is
/// sliced once per kernel column kx (a strided Slice along W, giving <c>[N, C, Hp, gw]</c>), the slices are
/// concatenated, and one <c>Gather</c> on axis 0 with constant int32 row indices picks, for every (c, ky, kx, oy),
/// a whole output row of gw values. Copying rows instead of single elements makes this several times faster than an
/// element-wise gather in ONNX Runtime. Grouped windows use an element-wise gather into the transposed, per-group
/// layout <c>[g, gh·gw, (C/g)·kh·kw]</c> ready for a batched MatMul.
/// </summary>
internal sealed class WindowColumns
{
    private readonly GradientContext _ctx;
    private readonly string _rows;     // [N, C·Hp·Wp] (or the unpadded [N, C, H·W] for the 1x1 shortcut)
    private readonly string? _indices; // element indices of the grouped layout
    private readonly long _n;
    private readonly long _rowBlocks;
    private readonly (long C, long Hp, long[] Kernel, long[] Strides, long[] Dilations, long[] Grid)? _rowGeometry;

    /// <param name="ctx">The gradient context.</param>
    /// <param name="source">The tensor whose windows are taken, <c>[N, C, H, W]</c>.</param>
    /// <param name="sourceShape">Its static shape.</param>
    /// <param name="kernel">Kernel size (kh, kw).</param>
    /// <param name="strides">Window strides.</param>
    /// <param name="dilations">Kernel dilations.</param>
    /// <param name="padBegin">Zero rows/cols added before the source (top, left).</param>
    /// <param name="grid">Number of windows (gh, gw).</param>
    /// <param name="groups">Channel groups.</param>
    public WindowColumns(GradientContext ctx, string source, long[] sourceShape, long[] kernel, long[] strides,
        long[] dilations, long[] padBegin, long[] grid, long groups)
    {
        _ctx = ctx;
        long n = sourceShape[0], c = sourceShape[1], h = sourceShape[2], w = sourceShape[3];
        _n = n;
        Groups = groups;
        long k = kernel[0] * kernel[1];
        ColumnRows = c / groups * k;
        GridSize = grid[0] * grid[1];

        bool identity = groups == 1 && k == 1 && strides.All(s => s == 1) && padBegin.All(p => p == 0)
                        && grid[0] == h && grid[1] == w;
        if (identity)
        {
            _rows = ctx.Reshape(source, n, c, h * w);
            return;
        }

        // Pad only as much as the windows reach.
        long padBottom = Math.Max(0, (grid[0] - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1 - padBegin[0] - h);
        long padRight = Math.Max(0, (grid[1] - 1) * strides[1] + (kernel[1] - 1) * dilations[1] + 1 - padBegin[1] - w);
        string padded = source;
        if (padBegin[0] + padBegin[1] + padBottom + padRight > 0)
            padded = ctx.Op("Pad", source + "_pad", new[] { source, ctx.Int64s(0, 0, padBegin[0], padBegin[1], 0, 0, padBottom, padRight) });
        long hp = h + padBegin[0] + padBottom, wp = w + padBegin[1] + padRight;

        if (groups == 1)
        {
            // One strided Slice along W per kernel column, concatenated: [N, kw·C, Hp, gw] as rows of gw values.
            var shifted = new List<string>();
            for (long kx = 0; kx < kernel[1]; kx++)
            {
                long begin = kx * dilations[1], end = begin + (grid[1] - 1) * strides[1] + 1;
                shifted.Add(begin == 0 && end == wp && strides[1] == 1 ? padded
                    : ctx.Op("Slice", source + "_kx", new[] { padded, ctx.Int64s(begin), ctx.Int64s(end), ctx.Int64s(3), ctx.Int64s(strides[1]) }));
            }
            string stacked = shifted.Count == 1 ? shifted[0] : ctx.Op("Concat", source + "_shifts", shifted, OnnxAttribute.Int("axis", 1));
            _rowBlocks = kernel[1] * c * hp;
            _rows = ctx.Reshape(stacked, n * _rowBlocks, grid[1]);
            _rowGeometry = (c, hp, kernel, strides, dilations, grid);
            return;
        }

        _rows = ctx.Reshape(padded, n, c * hp * wp);
        string key = $"im2col:{c}x{hp}x{wp}:k{kernel[0]}x{kernel[1]}:s{strides[0]}x{strides[1]}:d{dilations[0]}x{dilations[1]}:g{grid[0]}x{grid[1]}:G{groups}";
        _indices = ctx.Shared(key, () =>
        {
            var idx = BuildIndices(c, hp, wp, kernel, strides, dilations, grid, groups);
            return ctx.B.AddInitializer(OnnxTensor.Int32("im2col_indices", idx, groups, GridSize, ColumnRows));
        });
    }

    /// <summary>Rows of one group's column matrix: (C/g)·kh·kw.</summary>
    public long ColumnRows { get; }

    /// <summary>Number of windows: gh·gw.</summary>
    public long GridSize { get; }

    /// <summary>Channel groups.</summary>
    public long Groups { get; }

    /// <summary>The columns of sample <paramref name="n"/>.</summary>
    public string ForSample(long n)
    {
        if (_rowGeometry is { } geo)
        {
            // Row indices into [N·kw·C·Hp, gw]: row (n, kx, c, oy·s + ky·d) for every (c, ky, kx, oy).
            var (c, hp, kernel, strides, dilations, grid) = geo;
            long offset = n * _rowBlocks;
            string key = $"im2row:{c}x{hp}:k{kernel[0]}x{kernel[1]}:s{strides[0]}:d{dilations[0]}:g{grid[0]}:o{offset}";
            string idx = _ctx.Shared(key, () =>
            {
                long kh = kernel[0], kw = kernel[1], gh = grid[0];
                var rows = new int[c * kh * kw * gh];
                int at = 0;
                for (long ch = 0; ch < c; ch++)
                for (long ky = 0; ky < kh; ky++)
                for (long kx = 0; kx < kw; kx++)
                for (long oy = 0; oy < gh; oy++)
                    rows[at++] = checked((int)(offset + (kx * c + ch) * hp + oy * strides[0] + ky * dilations[0]));
                return _ctx.B.AddInitializer(OnnxTensor.Int32("im2row_indices", rows, rows.Length));
            });
            string gathered = _ctx.Op("Gather", "im2col", new[] { _rows, idx }, OnnxAttribute.Int("axis", 0));
            return _ctx.Reshape(gathered, ColumnRows, GridSize);
        }
        string row = _n == 1 ? _ctx.Reshape(_rows, -1) : _ctx.Op("Gather", "im2col_row", new[] { _rows, _ctx.ScalarInt64(n) }, OnnxAttribute.Int("axis", 0));
        if (_indices is null) return _n == 1 ? _ctx.Reshape(_rows, ColumnRows, GridSize) : row; // 1x1 shortcut: [C, H·W]
        return _ctx.Op("Gather", "im2col", new[] { row, _indices }, OnnxAttribute.Int("axis", 0));
    }

    private static int[] BuildIndices(long c, long hp, long wp, long[] kernel, long[] strides, long[] dilations, long[] grid, long groups)
    {
        long kh = kernel[0], kw = kernel[1], gh = grid[0], gw = grid[1];
        long cg = c / groups, rows = cg * kh * kw, cols = gh * gw;
        var idx = new int[checked((int)(c * kh * kw * cols))];
        for (long ch = 0; ch < c; ch++)
        {
            long g = ch / cg, cl = ch % cg;
            for (long ky = 0; ky < kh; ky++)
            for (long kx = 0; kx < kw; kx++)
            {
                long r = (cl * kh + ky) * kw + kx;
                for (long oy = 0; oy < gh; oy++)
                {
                    long srcRow = ch * hp * wp + (oy * strides[0] + ky * dilations[0]) * wp + kx * dilations[1];
                    for (long ox = 0; ox < gw; ox++)
                    {
                        long o = oy * gw + ox;
                        long at = (g * cols + o) * rows + r;
                        idx[at] = checked((int)(srcRow + ox * strides[1]));
                    }
                }
            }
        }
        return idx;
    }
}
