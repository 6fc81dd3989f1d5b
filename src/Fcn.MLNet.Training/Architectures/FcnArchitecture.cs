namespace Fcn.MLNet.Training.Architectures;

/// <summary>The skip architectures of the paper (4.2).</summary>
public enum FcnArchitecture
{
    /// <summary>Scores from the stride-32 map, upsampled ×32.</summary>
    Fcn32s,

    /// <summary>Adds stride-16 scores (score_pool4) before upsampling ×16.</summary>
    Fcn16s,

    /// <summary>Adds stride-16 and stride-8 scores (score_pool4, score_pool3) before upsampling ×8.</summary>
    Fcn8s,
}
