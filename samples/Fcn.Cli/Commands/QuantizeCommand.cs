using Fcn.Cli.Help;
using Fcn.MLNet;
using Fcn.MLNet.Quantization;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn quantize</c>: a float FCN (.onnx or model zip) → int8 (QDQ), calibrated on images.</summary>
internal static class QuantizeCommand
{
    private static readonly FcnQuantizationOptions Defaults = new(); // the one table of defaults

    public static readonly CommandDefinition Definition = new("quantize", "a float FCN (.onnx or model zip) → int8 (QDQ), calibrated on images",
        new[] { "{model} {calibration} {output}" },
        new Option[]
        {
            new("model", "<fp32.onnx|model.zip>", "the float model"),
            new("calibration", "<image folder>", ".png/.jpg images whose activations set the int8 ranges"),
            new("output", "<int8.onnx|int8.zip>", "the int8 model (.onnx, or a zip like the input)"),
            new("calibration-images", "N", "use at most N calibration images (the first by name)", Invariant(Defaults.MaximumCalibrationImages)),
            new("calibration-method", "percentile|minmax", "how activation ranges are chosen", "percentile"),
            new("percentile", "P", "with --calibration-method percentile: each activation's range runs from its (100 − P)th to its Pth percentile", Invariant(Defaults.Percentile), "percent"),
            Option.Switch("quantize-score-layers", "also quantize the score layers [default: they stay float]"),
        }.Concat(ModelArguments.PreprocessingOptions).Append(OutputGuard.OverwriteOption).ToArray(),
        new[] { "docs/quantization.md: accuracy and speed measured." });

    private static string Invariant(double value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        string model = cl.Required("model"), calibration = cl.Required("calibration"), output = cl.Required("output");
        var options = new FcnQuantizationOptions
        {
            ModelPath = model,
            Preprocessing = ModelArguments.Preprocessing(cl),
            MaximumCalibrationImages = cl.OptionalInt("calibration-images") ?? Defaults.MaximumCalibrationImages,
            Method = cl.Optional("calibration-method") switch
            {
                null or "percentile" => CalibrationMethod.Percentile,
                "minmax" => CalibrationMethod.MinMax,
                var other => throw new UsageException($"--calibration-method: expected percentile or minmax; got '{other}'"),
            },
            Percentile = cl.OptionalDouble("percentile") ?? Defaults.Percentile,
            QuantizeScoreLayers = cl.Flag("quantize-score-layers"),
        };
        var guard = OutputGuard.For(cl);
        cl.RejectUnknown();
        guard.InputFile("--model", model).InputFolder("--calibration", calibration).OutputFile("--output", output);
        if (!Directory.Exists(calibration)) throw new DirectoryNotFoundException($"--calibration: folder not found: {calibration}");
        options.CalibrationImages = Directory.EnumerateFiles(calibration)
            .Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpg", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".jpeg", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal).ToList();
        if (options.CalibrationImages.Count == 0) throw new UsageException($"--calibration: {calibration} holds no .png or .jpg images");
        int total = Math.Min(options.CalibrationImages.Count, options.MaximumCalibrationImages);
        var progress = new ProgressLine("calibrating", total, "images", TimeSpan.FromSeconds(10));
        options.Progress = new SynchronousProgress<int>(n => progress.Report(n));
        string summary = FcnQuantizer.QuantizeToFile(options, output);
        progress.Done();
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: {summary}");
        return 0;
    }
}
