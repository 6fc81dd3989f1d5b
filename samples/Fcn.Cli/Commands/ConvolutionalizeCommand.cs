using Fcn.MLNet.Onnx;
using Fcn.MLNet.Training.Surgery;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn convolutionalize</c>: a whole classifier (final layer included) as a fully convolutional ONNX.</summary>
internal static class ConvolutionalizeCommand
{
    public const string Usage = "fcn convolutionalize --onnx <classifier.onnx> --output <fcn.onnx> [--input-size HxW]";

    public static readonly string[] Flags = Array.Empty<string>();

    public static int Run(CommandLine cl)
    {
        string onnx = cl.Required("onnx"), output = cl.Required("output");
        var size = cl.Optional("input-size") is { } s ? ParseSize(s) : ((int, int)?)null;
        cl.RejectUnknown();
        var result = Convolutionalizer.Convolutionalize(OnnxModelFile.Load(onnx), onnx, size);
        OnnxModelFile.Save(result.Model, output);
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: fully convolutional, input [1, C, height, width], " +
            $"output [1, {result.Classes}, h, w]; {result.FullyConnected.Count} fc layer(s) became convolutions; " +
            $"at {result.Canonical.Height}x{result.Canonical.Width} it gives the classifier's scores");
        return 0;
    }

    public static (int, int) ParseSize(string s)
    {
        var parts = s.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], out int a) && int.TryParse(parts[1], out int b) && a > 0 && b > 0) return (a, b);
        throw new UsageException($"'{s}' is not a size like 320x240");
    }
}
