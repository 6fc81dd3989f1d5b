namespace Fcn.MLNet.Quantization;

/// <summary>
/// Static post-training int8 quantization of an FCN (<see cref="FcnQuantizer"/>, <c>fcn quantize</c>): which model,
/// which calibration images, and how activation ranges are taken.
/// </summary>
public sealed class FcnQuantizationOptions
{
    /// <summary>The float ONNX FCN (as SegmentFcn takes it). Either this or <see cref="ModelBytes"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The float ONNX FCN as bytes.</summary>
    public byte[]? ModelBytes { get; set; }

    /// <summary>Image files to calibrate activation ranges on: images like those the model will score.</summary>
    public IReadOnlyList<string> CalibrationImages { get; set; } = Array.Empty<string>();

    /// <summary>At most this many calibration images are read (the first ones in the list's order).</summary>
    public int MaximumCalibrationImages { get; set; } = 64;

    /// <summary>The model's preprocessing; null reads it from the model's metadata (as SegmentFcn does).</summary>
    public ImagePreprocessing? Preprocessing { get; set; }

    /// <summary>How activation ranges are taken.</summary>
    public CalibrationMethod Method { get; set; } = CalibrationMethod.Percentile;

    /// <summary>With <see cref="CalibrationMethod.Percentile"/>: the upper percentile kept, in (99, 100].</summary>
    public double Percentile { get; set; } = 99.999;

    /// <summary>
    /// Also quantize the score layers (convolutions that output one channel per class). Off by default: they are cheap
    /// (few output channels) and their rounding moves class boundaries.
    /// </summary>
    public bool QuantizeScoreLayers { get; set; }

    /// <summary>Reports the number of calibration images read.</summary>
    public IProgress<int>? Progress { get; set; }

    /// <summary>Checks the settings; the message names the option.</summary>
    public void Validate()
    {
        if ((ModelPath is null) == (ModelBytes is null))
            throw new ArgumentException("FcnQuantizationOptions: set exactly one of ModelPath and ModelBytes.");
        if (CalibrationImages is null || CalibrationImages.Count == 0)
            throw new ArgumentException("FcnQuantizationOptions.CalibrationImages: no calibration images were given; pass images like those the model will score.");
        if (MaximumCalibrationImages < 1)
            throw new ArgumentException($"FcnQuantizationOptions.MaximumCalibrationImages must be at least 1; got {MaximumCalibrationImages}.");
        if (!(Percentile > 99 && Percentile <= 100))
            throw new ArgumentException($"FcnQuantizationOptions.Percentile must be in (99, 100]; got {Percentile}.");
        Preprocessing?.Validate();
    }
}
