namespace Fcn.MLNet.Training;

/// <summary>
/// Training produced a non-finite loss or non-finite weights (a learning rate too high for the data, unnormalised
/// inputs, …). Nothing from the diverged iteration is kept: no model is exported from it.
/// </summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>What to try after a divergence.</summary>
    public const string Advice = "Lower the learning rate, and check that the images are normalised as the model expects.";

    /// <summary>Creates the exception for <paramref name="iteration"/> (1-based) with <paramref name="detail"/>.</summary>
    public TrainingDivergedException(int iteration, string detail, string? advice = null, Exception? inner = null)
        : base($"Training diverged at iteration {iteration}: {detail}." + (advice is null ? "" : " " + advice), inner)
    {
        Iteration = iteration;
        Detail = detail;
    }

    /// <summary>The iteration (1-based, within the stage) whose loss or update was not finite.</summary>
    public int Iteration { get; }

    /// <summary>What was not finite.</summary>
    public string Detail { get; }
}
