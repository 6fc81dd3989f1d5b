using Fcn.Cli.Help;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training.Surgery;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn convolutionalize</c>: a whole classifier (final layer included) as a fully convolutional ONNX.</summary>
internal static class ConvolutionalizeCommand
{
    public static readonly CommandDefinition Definition = new("convolutionalize", "a whole classifier (final layer included) as a fully convolutional ONNX",
        new[] { "{onnx} {output}" },
        new Option[]
        {
            new("onnx", "<classifier.onnx>", "an image classifier ONNX"),
            new("output", "<fcn.onnx>", "the fully convolutional ONNX to write"),
            new("input-size", "WxH", "the classifier's training input size, WIDTHxHEIGHT", "read from the model", "pixels"),
            OutputGuard.OverwriteOption,
        },
        Array.Empty<string>());

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        string onnx = cl.Required("onnx"), output = cl.Required("output");
        (int Height, int Width)? size = null;
        if (cl.Optional("input-size") is { } text)
        {
            var (width, height) = ParseSize(text, "--input-size");
            size = (height, width);
        }
        var guard = OutputGuard.For(cl);
        cl.RejectUnknown();
        guard.InputFile("--onnx", onnx).OutputFile("--output", output);
        var result = Convolutionalizer.Convolutionalize(OnnxModelFile.Load(onnx), onnx, size);
        OnnxModelFile.Save(result.Model, output);
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: fully convolutional, input [1, C, height, width], " +
            $"output [1, {result.Classes}, h, w]; {result.FullyConnected.Count} fc layer(s) became convolutions; " +
            $"at {result.Canonical.Height}x{result.Canonical.Width} it gives the classifier's scores");
        return 0;
    }

    /// <summary>Every size flag of the CLI reads WIDTHxHEIGHT (as image sizes are written: 480x360 is 480 wide).</summary>
    public static (int Width, int Height) ParseSize(string s, string flag)
    {
        var parts = s.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out int a) && int.TryParse(parts[1], out int b) && a > 0 && b > 0) return (a, b);
        throw new UsageException($"{flag}: '{s}' is not a size WIDTHxHEIGHT like 480x360");
    }
}
