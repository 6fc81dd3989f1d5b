namespace Fcn.Benchmarks;

/// <summary>
/// Times a baseline A against a candidate B in A B B A rounds, so warm caches, spinning ORT threads and background load
/// fall on both alike; medians per round and the ratio B / A.
/// </summary>
internal sealed record AbbaRounds(double MedianA, double MedianB, double MedianRatio, double MinRatio, double MaxRatio)
{
    public static AbbaRounds Run(Func<double> a, Func<double> b, int rounds)
    {
        a();
        b();
        var ta = new List<double>();
        var tb = new List<double>();
        var ratios = new List<double>();
        for (int i = 0; i < rounds; i++)
        {
            double a1 = a(), b1 = b(), b2 = b(), a2 = a();
            ta.Add((a1 + a2) / 2);
            tb.Add((b1 + b2) / 2);
            ratios.Add((b1 + b2) / (a1 + a2));
        }
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        return new AbbaRounds(Median(ta), Median(tb), Median(ratios), ratios.Min(), ratios.Max());
    }

    /// <summary>"median ratio R (min, max)".</summary>
    public string RatioText => $"median ratio {MedianRatio:F3} (min {MinRatio:F3}, max {MaxRatio:F3})";
}
