using Fcn.Cli.Help;
using Fcn.MLNet;
using Fcn.MLNet.Scoring;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn import</c>: an ONNX FCN plus its preprocessing → an ML.NET model zip over image paths.</summary>
internal static class ImportCommand
{
    public static readonly CommandDefinition Definition = new("import", "an ONNX FCN plus its preprocessing → an ML.NET model zip over image paths",
        new[] { "{onnx} {output}" },
        new Option[]
        {
            new("onnx", "<file.onnx>", "the FCN: input [1,3,H,W] (H, W dynamic), output [1,C,h,w]"),
            new("output", "<model.zip>", "the model zip to write (input column 'ImagePath', output 'Segmentation')"),
            new("classes", "<names.txt>", "class names, one a line, stored in the zip"),
        }.Concat(ModelArguments.PreprocessingOptions).Concat(ModelArguments.ScoringOptions).Append(OutputGuard.OverwriteOption).ToArray(),
        Array.Empty<string>());

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        string onnx = cl.Required("onnx"), output = cl.Required("output");
        if (!output.EndsWith(".zip", StringComparison.OrdinalIgnoreCase)) throw new UsageException("--output must be a .zip file");
        string? classesFile = cl.Optional("classes");
        var options = new SegmentFcnOptions { ModelPath = onnx, Preprocessing = ModelArguments.Preprocessing(cl), TestTimeAugmentation = ModelArguments.TestTimeAugmentation(cl), Tiling = ModelArguments.Tiling(cl) };
        var guard = OutputGuard.For(cl);
        cl.RejectUnknown();
        guard.InputFile("--onnx", onnx).InputFile("--classes", classesFile).OutputFile("--output", output);
        if (classesFile is not null)
        {
            if (!File.Exists(classesFile)) throw new FileNotFoundException($"class names file not found: {classesFile}", classesFile);
            options.ClassNames = File.ReadAllLines(classesFile).Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }
        var ml = new MLContext();
        using var model = new LoadedModel(SegmentationScoring.BuildFilePipeline(ml, options));
        var schema = ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema;
        AtomicFile.Write(output, stream => ml.Model.Save(model.Transformer, schema, stream));
        Console.WriteLine($"wrote {Path.GetFullPath(output)} (input column '{ImagePathRow.ColumnName}', output 'Segmentation')");
        return 0;
    }
}
