namespace Fcn.MLNet.Training.Optimization;

/// <summary>The learning rate as a function of the iteration (0-based), Caffe's "fixed", "step" and "poly" policies.</summary>
public abstract record LearningRateSchedule
{
    /// <summary>The learning rate at <paramref name="iteration"/> for base rate <paramref name="baseRate"/>.</summary>
    public abstract double At(int iteration, double baseRate);

    /// <summary>lr = base.</summary>
    public static LearningRateSchedule Fixed { get; } = new FixedSchedule();

    /// <summary>lr = base · gamma^⌊iteration / stepSize⌋.</summary>
    public static LearningRateSchedule Step(int stepSize, double gamma = 0.1) => new StepSchedule(stepSize, gamma);

    /// <summary>lr = base · (1 − iteration / maxIterations)^power (0 from maxIterations on).</summary>
    public static LearningRateSchedule Poly(int maxIterations, double power = 0.9) => new PolySchedule(maxIterations, power);

    /// <summary>Parses "fixed", "step:STEP[:GAMMA]" or "poly:MAX[:POWER]" (the CLI's form).</summary>
    public static LearningRateSchedule Parse(string text)
    {
        var parts = text.Split(':', StringSplitOptions.TrimEntries);
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        try
        {
            return parts[0].ToLowerInvariant() switch
            {
                "fixed" when parts.Length == 1 => Fixed,
                "step" when parts.Length is 2 or 3 => Step(int.Parse(parts[1], inv), parts.Length == 3 ? double.Parse(parts[2], inv) : 0.1),
                "poly" when parts.Length is 2 or 3 => Poly(int.Parse(parts[1], inv), parts.Length == 3 ? double.Parse(parts[2], inv) : 0.9),
                _ => throw new FormatException(),
            };
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentOutOfRangeException)
        {
            throw new FormatException($"Learning-rate schedule '{text}': expected 'fixed', 'step:STEP[:GAMMA]' or 'poly:MAX_ITER[:POWER]' " +
                "with STEP and MAX_ITER whole numbers ≥ 1 (iterations), GAMMA and POWER numbers.");
        }
    }

    private sealed record FixedSchedule : LearningRateSchedule
    {
        public override double At(int iteration, double baseRate) => baseRate;

        public override string ToString() => "fixed";
    }

    private sealed record StepSchedule : LearningRateSchedule
    {
        public StepSchedule(int stepSize, double gamma)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(stepSize, 1);
            StepSize = stepSize;
            Gamma = gamma;
        }

        public int StepSize { get; }

        public double Gamma { get; }

        public override double At(int iteration, double baseRate) => baseRate * Math.Pow(Gamma, iteration / StepSize);

        public override string ToString() => $"step:{StepSize}:{Gamma}";
    }

    private sealed record PolySchedule : LearningRateSchedule
    {
        public PolySchedule(int maxIterations, double power)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(maxIterations, 1);
            MaxIterations = maxIterations;
            Power = power;
        }

        public int MaxIterations { get; }

        public double Power { get; }

        public override double At(int iteration, double baseRate) =>
            iteration >= MaxIterations ? 0 : baseRate * Math.Pow(1.0 - (double)iteration / MaxIterations, Power);

        public override string ToString() => $"poly:{MaxIterations}:{Power}";
    }
}
