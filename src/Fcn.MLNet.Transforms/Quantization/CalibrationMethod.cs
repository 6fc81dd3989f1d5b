namespace Fcn.MLNet.Quantization;

/// <summary>How the range of each quantized activation is taken from the calibration images.</summary>
public enum CalibrationMethod
{
    /// <summary>The smallest and largest value seen on any calibration image.</summary>
    MinMax,

    /// <summary>
    /// The <see cref="FcnQuantizationOptions.Percentile"/> and (100 − Percentile) percentiles of the values seen (from a
    /// seeded sample of each image's values): rare outliers no longer stretch the range and coarsen every other value.
    /// </summary>
    Percentile,
}
