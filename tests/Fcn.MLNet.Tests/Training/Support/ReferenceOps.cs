namespace Fcn.MLNet.Tests.Training.Support;

/// <summary>
/// Independent double-precision forward implementations of the ONNX operators the trainer differentiates, written
/// from the operator definitions (ORT's CPU provider has no float64 Conv, so gradient checks need these).
/// </summary>
internal static class ReferenceOps
{
    /// <summary>2-D convolution; pads = (top, left, bottom, right).</summary>
    public static RefTensor Conv(RefTensor x, RefTensor w, RefTensor? b, int[] strides, int[] pads, int[] dilations, int groups = 1)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int m = w.Shape[0], cg = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], mg = m / groups;
        int oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1;
        int ow = (wd + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1;
        var y = new RefTensor(n, m, oh, ow);
        for (int i = 0; i < n; i++)
        for (int o = 0; o < m; o++)
        {
            int g = o / mg;
            for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++)
            {
                double s = b?.Data[o] ?? 0;
                for (int ci = 0; ci < cg; ci++)
                for (int ky = 0; ky < kh; ky++)
                for (int kx = 0; kx < kw; kx++)
                {
                    int iy = oy * strides[0] + ky * dilations[0] - pads[0], ix = ox * strides[1] + kx * dilations[1] - pads[1];
                    if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                    s += x[i, g * cg + ci, iy, ix] * w[o, ci, ky, kx];
                }
                y[i, o, oy, ox] = s;
            }
        }
        return y;
    }

    /// <summary>2-D transposed convolution (weights [C_in, C_out/g, kh, kw]).</summary>
    public static RefTensor ConvTranspose(RefTensor x, RefTensor w, RefTensor? b, int[] strides, int[] pads, int[] dilations,
        int[] outputPadding, int groups = 1)
    {
        int n = x.Shape[0], cin = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int cog = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], cig = cin / groups, cout = cog * groups;
        int oh = strides[0] * (h - 1) + outputPadding[0] + (kh - 1) * dilations[0] + 1 - pads[0] - pads[2];
        int ow = strides[1] * (wd - 1) + outputPadding[1] + (kw - 1) * dilations[1] + 1 - pads[1] - pads[3];
        var y = new RefTensor(n, cout, oh, ow);
        for (int i = 0; i < n; i++)
        for (int co = 0; co < cout; co++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
            y[i, co, oy, ox] = b?.Data[co] ?? 0;
        for (int i = 0; i < n; i++)
        for (int ci = 0; ci < cin; ci++)
        {
            int g = ci / cig;
            for (int iy = 0; iy < h; iy++)
            for (int ix = 0; ix < wd; ix++)
            for (int col = 0; col < cog; col++)
            for (int ky = 0; ky < kh; ky++)
            for (int kx = 0; kx < kw; kx++)
            {
                int oy = iy * strides[0] + ky * dilations[0] - pads[0], ox = ix * strides[1] + kx * dilations[1] - pads[1];
                if (oy < 0 || oy >= oh || ox < 0 || ox >= ow) continue;
                y[i, g * cog + col, oy, ox] += x[i, ci, iy, ix] * w[ci, col, ky, kx];
            }
        }
        return y;
    }

    /// <summary>Output size of a pooling window along one axis (floor or ceil mode; a last window must start inside).</summary>
    public static int PoolOut(int size, int k, int s, int padBegin, int padEnd, bool ceil, int dilation = 1)
    {
        int ext = (k - 1) * dilation + 1;
        double q = (double)(size + padBegin + padEnd - ext) / s;
        int o = (ceil ? (int)Math.Ceiling(q) : (int)Math.Floor(q)) + 1;
        if (ceil && (o - 1) * s >= size + padBegin) o--;
        return o;
    }

    public static RefTensor MaxPool(RefTensor x, int[] k, int[] s, int[] pads, bool ceil = false, int[]? dilations = null)
    {
        dilations ??= new[] { 1, 1 };
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = PoolOut(h, k[0], s[0], pads[0], pads[2], ceil, dilations[0]), ow = PoolOut(w, k[1], s[1], pads[1], pads[3], ceil, dilations[1]);
        var y = new RefTensor(n, c, oh, ow);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double m = double.NegativeInfinity;
            for (int ky = 0; ky < k[0]; ky++)
            for (int kx = 0; kx < k[1]; kx++)
            {
                int iy = oy * s[0] + ky * dilations[0] - pads[0], ix = ox * s[1] + kx * dilations[1] - pads[1];
                if (iy >= 0 && iy < h && ix >= 0 && ix < w) m = Math.Max(m, x[i, ch, iy, ix]);
            }
            y[i, ch, oy, ox] = m;
        }
        return y;
    }

    public static RefTensor AveragePool(RefTensor x, int[] k, int[] s, int[] pads, bool countIncludePad, bool ceil = false)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        int oh = PoolOut(h, k[0], s[0], pads[0], pads[2], ceil), ow = PoolOut(w, k[1], s[1], pads[1], pads[3], ceil);
        var y = new RefTensor(n, c, oh, ow);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            int y0 = oy * s[0] - pads[0], x0 = ox * s[1] - pads[1];
            int y1 = Math.Min(y0 + k[0], h + pads[2]), x1 = Math.Min(x0 + k[1], w + pads[3]);
            int count = countIncludePad ? (y1 - y0) * (x1 - x0) : (Math.Min(y1, h) - Math.Max(y0, 0)) * (Math.Min(x1, w) - Math.Max(x0, 0));
            double sum = 0;
            for (int iy = Math.Max(y0, 0); iy < Math.Min(y1, h); iy++)
            for (int ix = Math.Max(x0, 0); ix < Math.Min(x1, w); ix++)
                sum += x[i, ch, iy, ix];
            y[i, ch, oy, ox] = sum / count;
        }
        return y;
    }

    public static RefTensor GlobalAveragePool(RefTensor x)
    {
        int n = x.Shape[0], c = x.Shape[1], plane = x.Shape[2] * x.Shape[3];
        var y = new RefTensor(n, c, 1, 1);
        for (int i = 0; i < n * c; i++) y.Data[i] = x.Data.Skip(i * plane).Take(plane).Sum() / plane;
        return y;
    }

    public static RefTensor BatchNorm(RefTensor x, RefTensor scale, RefTensor bias, RefTensor mean, RefTensor variance, double eps)
    {
        var y = new RefTensor(x.Shape);
        int plane = x.Shape[2] * x.Shape[3], c = x.Shape[1];
        for (int k = 0; k < x.Count; k++)
        {
            int ch = k / plane % c;
            y.Data[k] = scale.Data[ch] * (x.Data[k] - mean.Data[ch]) / Math.Sqrt(variance.Data[ch] + eps) + bias.Data[ch];
        }
        return y;
    }

    /// <summary>Concatenation along <paramref name="axis"/>.</summary>
    public static RefTensor Concat(int axis, params RefTensor[] xs)
    {
        var shape = (int[])xs[0].Shape.Clone();
        shape[axis] = xs.Sum(t => t.Shape[axis]);
        int outer = shape.Take(axis).Aggregate(1, (a, d) => a * d);
        var data = new List<double>();
        for (int o = 0; o < outer; o++)
            foreach (var t in xs)
            {
                int block = t.Count / outer;
                data.AddRange(t.Data.Skip(o * block).Take(block));
            }
        return RefTensor.From(data.ToArray(), shape);
    }

    /// <summary>Picks coordinates per axis: y[i0, i1, …] = x[pick[0][i0], pick[1][i1], …] (−1 reads <paramref name="fill"/>).</summary>
    public static RefTensor Gather(RefTensor x, int[][] pick, double fill = 0)
    {
        var shape = pick.Select(p => p.Length).ToArray();
        var y = new RefTensor(shape);
        var idx = new int[shape.Length];
        for (int k = 0; k < y.Count; k++)
        {
            int rem = k;
            for (int a = shape.Length - 1; a >= 0; a--) { idx[a] = rem % shape[a]; rem /= shape[a]; }
            int src = 0;
            bool outside = false;
            for (int a = 0; a < shape.Length; a++)
            {
                int v = pick[a][idx[a]];
                outside |= v < 0;
                src = src * x.Shape[a] + Math.Max(v, 0);
            }
            y.Data[k] = outside ? fill : x.Data[src];
        }
        return y;
    }

    /// <summary>Slice with unit or non-unit steps on the given axes (starts/ends already normalised and in range).</summary>
    public static RefTensor Slice(RefTensor x, int[] starts, int[] ends, int[] axes, int[] steps)
    {
        var pick = x.Shape.Select(d => Enumerable.Range(0, d).ToArray()).ToArray();
        for (int i = 0; i < axes.Length; i++)
        {
            var list = new List<int>();
            for (int v = starts[i]; steps[i] > 0 ? v < ends[i] : v > ends[i]; v += steps[i]) list.Add(v);
            pick[axes[i]] = list.ToArray();
        }
        return Gather(x, pick);
    }

    /// <summary>Pad with pads [b0, b1, …, e0, e1, …] in mode constant (0), reflect or edge.</summary>
    public static RefTensor Pad(RefTensor x, int[] pads, string mode)
    {
        int rank = x.Rank;
        var pick = new int[rank][];
        for (int a = 0; a < rank; a++)
        {
            int size = x.Shape[a], outSize = size + pads[a] + pads[rank + a];
            pick[a] = new int[outSize];
            for (int o = 0; o < outSize; o++)
            {
                int v = o - pads[a];
                if (v < 0 || v >= size)
                {
                    v = mode switch
                    {
                        "edge" => Math.Clamp(v, 0, size - 1),
                        "reflect" => v < 0 ? -v : 2 * (size - 1) - v,
                        _ => -1,
                    };
                }
                pick[a][o] = v;
            }
        }
        return Gather(x, pick);
    }

    /// <summary>Resize of the two spatial axes, from the coordinate definitions of the ONNX spec.</summary>
    public static RefTensor Resize(RefTensor x, int oh, int ow, double? scaleH, double? scaleW, string mode, string transform, string nearestMode)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], w = x.Shape[3];
        var y = new RefTensor(n, c, oh, ow);
        for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++)
        for (int oy = 0; oy < oh; oy++)
        for (int ox = 0; ox < ow; ox++)
        {
            double sy = Coordinate(oy, h, oh, scaleH ?? (double)oh / h, transform), sx = Coordinate(ox, w, ow, scaleW ?? (double)ow / w, transform);
            if (mode == "nearest")
            {
                int ny = Math.Clamp(Nearest(sy, nearestMode), 0, h - 1), nx = Math.Clamp(Nearest(sx, nearestMode), 0, w - 1);
                y[i, ch, oy, ox] = x[i, ch, ny, nx];
                continue;
            }
            sy = Math.Clamp(sy, 0, h - 1);
            sx = Math.Clamp(sx, 0, w - 1);
            int y0 = (int)Math.Floor(sy), x0 = (int)Math.Floor(sx), y1 = Math.Min(y0 + 1, h - 1), x1 = Math.Min(x0 + 1, w - 1);
            double fy = sy - y0, fx = sx - x0;
            y[i, ch, oy, ox] = (1 - fy) * ((1 - fx) * x[i, ch, y0, x0] + fx * x[i, ch, y0, x1])
                               + fy * ((1 - fx) * x[i, ch, y1, x0] + fx * x[i, ch, y1, x1]);
        }
        return y;
    }

    private static double Coordinate(int o, int inSize, int outSize, double scale, string transform) => transform switch
    {
        "half_pixel" => (o + 0.5) / scale - 0.5,
        "pytorch_half_pixel" => outSize > 1 ? (o + 0.5) / scale - 0.5 : 0,
        "align_corners" => outSize == 1 ? 0 : o * (inSize - 1.0) / (outSize - 1),
        _ => o / scale,
    };

    private static int Nearest(double v, string mode) => mode switch
    {
        "floor" => (int)Math.Floor(v),
        "ceil" => (int)Math.Ceiling(v),
        "round_prefer_ceil" => (int)Math.Floor(v + 0.5),
        _ => v - Math.Floor(v) == 0.5 ? (int)Math.Floor(v) : (int)Math.Round(v, MidpointRounding.AwayFromZero),
    };

    /// <summary>Y = alpha·A′B′ + beta·C for 2-D A, B.</summary>
    public static RefTensor Gemm(RefTensor a, RefTensor b, RefTensor? c, bool transA, bool transB, double alpha = 1, double beta = 1)
    {
        int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1], n = transB ? b.Shape[0] : b.Shape[1];
        var y = new RefTensor(m, n);
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int t = 0; t < k; t++)
                s += (transA ? a.Data[t * m + i] : a.Data[i * k + t]) * (transB ? b.Data[j * k + t] : b.Data[t * n + j]);
            y.Data[i * n + j] = alpha * s;
        }
        return c is null ? y : RefTensor.Broadcast(y, c, (p, q) => p + beta * q);
    }

    /// <summary>Batched matrix product of rank-≥2 tensors with equal batch dims (b may be 2-D and broadcast).</summary>
    public static RefTensor MatMul(RefTensor a, RefTensor b)
    {
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        int batch = a.Count / (m * k);
        bool shared = b.Rank == 2;
        var shape = a.Shape[..^1].Append(n).ToArray();
        var y = new RefTensor(shape);
        for (int p = 0; p < batch; p++)
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int t = 0; t < k; t++) s += a.Data[(p * m + i) * k + t] * b.Data[((shared ? 0 : p) * k + t) * n + j];
            y.Data[(p * m + i) * n + j] = s;
        }
        return y;
    }

    /// <summary>Transpose with permutation <paramref name="perm"/>.</summary>
    public static RefTensor Transpose(RefTensor x, int[] perm)
    {
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var y = new RefTensor(shape);
        var idx = new int[shape.Length];
        var src = new int[shape.Length];
        for (int k = 0; k < y.Count; k++)
        {
            int rem = k;
            for (int a = shape.Length - 1; a >= 0; a--) { idx[a] = rem % shape[a]; rem /= shape[a]; }
            for (int a = 0; a < shape.Length; a++) src[perm[a]] = idx[a];
            int o = 0;
            for (int a = 0; a < shape.Length; a++) o = o * x.Shape[a] + src[a];
            y.Data[k] = x.Data[o];
        }
        return y;
    }

    /// <summary>
    /// Σᵢ wᵢ·(logΣexp(sᵢ) − sᵢ[yᵢ]) over scores [N, C, H, W], labels and weights [N, H, W].
    /// </summary>
    public static double SoftmaxCrossEntropy(RefTensor scores, long[] labels, float[] weights)
    {
        int n = scores.Shape[0], c = scores.Shape[1], plane = scores.Shape[2] * scores.Shape[3];
        double loss = 0;
        for (int i = 0; i < n; i++)
        for (int p = 0; p < plane; p++)
        {
            int k = i * plane + p;
            if (weights[k] == 0) continue;
            double max = double.NegativeInfinity;
            for (int ch = 0; ch < c; ch++) max = Math.Max(max, scores.Data[(i * c + ch) * plane + p]);
            double sum = 0;
            for (int ch = 0; ch < c; ch++) sum += Math.Exp(scores.Data[(i * c + ch) * plane + p] - max);
            loss += weights[k] * (max + Math.Log(sum) - scores.Data[(i * c + (int)labels[k]) * plane + p]);
        }
        return loss;
    }
}
