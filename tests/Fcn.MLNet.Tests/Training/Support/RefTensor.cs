namespace Fcn.MLNet.Tests.Training.Support;

/// <summary>A double-precision tensor for the reference computations: a shape and row-major data.</summary>
internal sealed record RefTensor(int[] Shape, double[] Data)
{
    public RefTensor(params int[] shape) : this(shape, new double[shape.Aggregate(1, (a, d) => a * d)]) { }

    public int Rank => Shape.Length;

    public int Count => Data.Length;

    public static RefTensor From(double[] data, params int[] shape)
    {
        if (data.Length != shape.Aggregate(1, (a, d) => a * d)) throw new ArgumentException("size mismatch");
        return new RefTensor(shape, data);
    }

    public RefTensor Reshape(params int[] shape) => From(Data, shape);

    /// <summary>Element (n, c, y, x) of a rank-4 tensor.</summary>
    public double this[int n, int c, int y, int x]
    {
        get => Data[((n * Shape[1] + c) * Shape[2] + y) * Shape[3] + x];
        set => Data[((n * Shape[1] + c) * Shape[2] + y) * Shape[3] + x] = value;
    }

    public RefTensor Map(Func<double, double> f) => new(Shape, Data.Select(f).ToArray());

    /// <summary>Element-wise binary operation with numpy broadcasting.</summary>
    public static RefTensor Broadcast(RefTensor a, RefTensor b, Func<double, double, double> f)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        int[] sa = Pad(a.Shape, rank), sb = Pad(b.Shape, rank);
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = Math.Max(sa[i], sb[i]);
        var y = new RefTensor(shape);
        var idx = new int[rank];
        for (int k = 0; k < y.Count; k++)
        {
            int rem = k;
            for (int i = rank - 1; i >= 0; i--) { idx[i] = rem % shape[i]; rem /= shape[i]; }
            y.Data[k] = f(a.Data[Offset(idx, sa)], b.Data[Offset(idx, sb)]);
        }
        return y;
    }

    private static int[] Pad(int[] s, int rank) => Enumerable.Repeat(1, rank - s.Length).Concat(s).ToArray();

    private static int Offset(int[] idx, int[] shape)
    {
        int o = 0;
        for (int i = 0; i < shape.Length; i++) o = o * shape[i] + (shape[i] == 1 ? 0 : idx[i]);
        return o;
    }
}
