using Fcn.MLNet.Onnx;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// im2col as ONNX ops: the sliding windows of a tensor <c>[N, C, H, W]</c> laid out as columns, built with one
/// <c>Pad</c> and one <c>Gather</c> on axis 0 with constant int32 indices (the fastest lowering measured on ORT's CPU
/// provider). For <c>groups</c> = 1 sample n gives <c>[C·kh·kw, gh·gw]</c>; for grouped windows it gives the
/// transposed, per-group layout <c>[g, gh·gw, (C/g)·kh·kw]</c> ready for a batched MatMul.
/// </summary>
internal sealed class WindowColumns
{
    private readonly GradientContext _ctx;
    private readonly string _rows;     // [N, C·Hp·Wp] (or the unpadded [N, C, H·W] for the 1x1 shortcut)
    private readonly string? _indices; // null for the 1x1 shortcut
    private readonly long _n;

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
        _rows = ctx.Reshape(padded, n, c * hp * wp);

        string key = $"im2col:{c}x{hp}x{wp}:k{kernel[0]}x{kernel[1]}:s{strides[0]}x{strides[1]}:d{dilations[0]}x{dilations[1]}:g{grid[0]}x{grid[1]}:G{groups}";
        _indices = ctx.Shared(key, () =>
        {
            var idx = BuildIndices(c, hp, wp, kernel, strides, dilations, grid, groups);
            long[] dims = groups == 1 ? new[] { ColumnRows, GridSize } : new[] { groups, GridSize, ColumnRows };
            return ctx.B.AddInitializer(OnnxTensor.Int32("im2col_indices", idx, dims));
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
                        long at = groups == 1 ? r * cols + o : (g * cols + o) * rows + r;
                        idx[at] = checked((int)(srcRow + ox * strides[1]));
                    }
                }
            }
        }
        return idx;
    }
}
