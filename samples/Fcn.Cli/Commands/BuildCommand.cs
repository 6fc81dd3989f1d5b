using Fcn.Cli.Help;
using Fcn.MLNet.Onnx;
using Fcn.MLNet;
using Fcn.MLNet.Training.Architectures;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn build</c>: an untrained FCN-32s/16s/8s (zero score layers, bilinear upsampling) on a backbone.</summary>
internal static class BuildCommand
{
    public static readonly CommandDefinition Definition = new("build", "an untrained FCN-32s/16s/8s (zero score layers, bilinear upsampling) on a backbone",
        new[] { "{backbone} {arch} {num-classes} {output}" },
        new Option[]
        {
            new("backbone", "resnet18|<classifier.onnx>", "the shipped ImageNet ResNet18, or an ImageNet classifier ONNX (add its preprocessing flags)"),
            new("arch", "fcn32s|fcn16s|fcn8s", "the FCN head: output stride 32, 16 or 8"),
            new("num-classes", "N", $"number of classes, 1 to {Fcn.MLNet.Evaluation.SegmentationConfusionMatrix.MaxClasses}"),
            new("output", "<base.onnx>", "the ONNX FCN to write"),
            new("classes", "<names.txt>", "class names, one a line, stored in the model"),
            Option.Switch("learn-final-upsampling", "make the final upsampling learnable [default: fixed bilinear]"),
        }.Concat(ModelArguments.PreprocessingOptions).Append(OutputGuard.OverwriteOption).ToArray(),
        Array.Empty<string>());

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        string backboneName = cl.Required("backbone"), output = cl.Required("output");
        var arch = ParseArchitecture(cl.Required("arch"));
        int classes = cl.NumberOfClasses();
        string? namesFile = cl.Optional("classes");
        bool learnFinal = cl.Flag("learn-final-upsampling");
        var preprocessing = ModelArguments.Preprocessing(cl);
        var guard = OutputGuard.For(cl);
        cl.RejectUnknown();
        guard.InputFile("--backbone", File.Exists(backboneName) ? backboneName : null).InputFile("--classes", namesFile).OutputFile("--output", output);

        var backbone = backboneName.Equals("resnet18", StringComparison.OrdinalIgnoreCase)
            ? Backbone.ResNet18()
            : Backbone.FromClassifier(OnnxModelFile.Load(backboneName), backboneName, preprocessing ?? ImagePreprocessing.None);
        if (preprocessing is not null && backboneName.Equals("resnet18", StringComparison.OrdinalIgnoreCase))
            throw new UsageException("the resnet18 backbone carries its own preprocessing (BGR minus the ImageNet mean)");
        var names = namesFile is null ? null : ReadNames(namesFile, classes);
        var model = FcnHeads.Build(backbone, arch, classes, names, learnFinal);
        OnnxModelFile.Save(model, output);
        Console.WriteLine($"wrote {Path.GetFullPath(output)}: {backbone.Name} {arch}, {classes} classes, " +
            $"taps {backbone.Stride8.Value} ({backbone.Stride8.Channels}), {backbone.Stride16.Value} ({backbone.Stride16.Channels}), " +
            $"{backbone.Stride32.Value} ({backbone.Stride32.Channels}); frozen: {string.Join(", ", FcnHeads.FrozenParameters(model))}");
        return 0;
    }

    public static FcnArchitecture ParseArchitecture(string s) => s.ToLowerInvariant() switch
    {
        "fcn32s" => FcnArchitecture.Fcn32s,
        "fcn16s" => FcnArchitecture.Fcn16s,
        "fcn8s" => FcnArchitecture.Fcn8s,
        _ => throw new UsageException($"--arch must be fcn32s, fcn16s or fcn8s, got '{s}'"),
    };

    public static string[] ReadNames(string path, int classes)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"class names file not found: {path}", path);
        var names = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        if (names.Length != classes) throw new InvalidDataException($"{path} lists {names.Length} class names; --num-classes is {classes}");
        return names;
    }
}
