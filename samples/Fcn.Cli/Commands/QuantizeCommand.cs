using Fcn.MLNet;
using Fcn.MLNet.Quantization;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn quantize</c>: a float FCN (.onnx or model zip) → int8 (QDQ), calibrated on images.</summary>
internal static class QuantizeCommand
{
    public const string Usage = "fcn quantize --model <fp32.onnx|model.zip> --calibration <image folder> --output <int8.onnx|int8.zip>\n" +
        "               [--calibration-images N (64)] [--calibration-method percentile|minmax (percentile)] [--percentile P (99.999)]\n" +
        "               [--quantize-score-layers] " + ModelArguments.Usage + " [--overwrite]";

    public static readonly string[] Flags = ModelArguments.Flags.Append("quantize-score-layers").ToArray();

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        string model = cl.Required("model"), calibration = cl.Required("calibration"), output = cl.Required("output");
        var options = new FcnQuantizationOptions
        {
            ModelPath = model,
            Preprocessing = ModelArguments.Preprocessing(cl),
            MaximumCalibrationImages = cl.OptionalInt("calibration-images") ?? 64,
            Method = cl.Optional("calibration-method") switch
            {
                null or "percentile" => CalibrationMethod.Percentile,
                "minmax" => CalibrationMethod.MinMax,
                var other => throw new UsageException($"--calibration-method: expected percentile or minmax; got '{other}'"),
            },
            Percentile = cl.OptionalDouble("percentile") ?? 99.999,
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
        options.Progress = new SynchronousProgress<int>(n => Console.Error.Write($"\rcalibrating {n}/{total}"));
        string summary = FcnQuantizer.QuantizeToFile(options, output);
        Console.Error.WriteLine();
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: {summary}");
        return 0;
    }
}
