using Fcn.Cli.Help;
using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Distributed;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn predict</c>: class-map PNGs (and optionally colorized masks and overlays) for images.</summary>
internal static class PredictCommand
{
    public static readonly CommandDefinition Definition = new("predict", "class-map PNGs (and colorized masks, overlays, comparisons) for images",
        new[] { "{model} {input} {output}", "{model} {dataset} {root} {split} {output} [--compare]" },
        new Option[]
        {
            new("model", "<file.onnx|file.zip>", "the FCN: an ONNX file (add preprocessing flags) or a model zip (carries its own)"),
            new("input", "<image file|folder>", "an image, or a folder of images (.png, .jpg)"),
            new("output", "<folder>", "where <stem>.png (8-bit, value = class) and the optional pictures are written"),
            Option.Switch("colorize", "also write <stem>.color.png in the palette's colours"),
            Option.Switch("overlay", "also write <stem>.overlay.png: the colours blended over the image"),
            new("palette", "<colors.txt>", "'R,G,B class' lines for --colorize, --overlay and comparisons", "PASCAL VOC colours"),
            new("masks", "<folder>", "ground-truth masks: also write <stem>.compare.png (image | ground truth | prediction)"),
            new("ignore-label", "L", "the masks' label drawn as unlabelled in comparisons; goes with --masks", "none"),
            Option.Switch("compare", "with --dataset: write comparisons with the dataset's masks"),
        }.Concat(ModelArguments.PreprocessingOptions).Concat(ModelArguments.ScoringOptions).Append(ModelArguments.DeviceOption).Concat(ImageScreening.Options(batch: true))
         .Concat(DatasetArguments.Flags).Append(OutputGuard.OverwriteOption).ToArray(),
        new[] { "A standard dataset replaces --input: its images are named by the dataset's stems." });

    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        var dataset = DatasetArguments.Parse(cl, "input", "masks");
        string modelPath = cl.Required("model"), input = dataset is null ? cl.Required("input") : "", output = cl.Required("output");
        bool colorize = cl.Flag("colorize"), overlay = cl.Flag("overlay"), compare = cl.Flag("compare");
        string? paletteFile = cl.Optional("palette"), masks = cl.Optional("masks");
        if (compare && dataset is null) throw new UsageException("--compare goes with --dataset (with folders give --masks)");
        int? ignoreLabel = dataset is not null ? dataset.IgnoreLabel(cl) : cl.OptionalInt("ignore-label");
        if (ignoreLabel is not null && masks is null && dataset is null) throw new UsageException("--ignore-label applies to --masks");
        var spec = ModelArguments.Parse(cl, modelPath);
        var guard = OutputGuard.For(cl);
        var screening = ImageScreening.Parse(cl, batch: true);
        cl.RejectUnknown();
        // "R,G,B class" lines, as for colour-coded masks; classes not named keep their PASCAL VOC colour.
        var palette = paletteFile is null ? ColorPalette.PascalVoc() : ColorClassTable.Load(paletteFile).ToPalette(ColorPalette.PascalVoc());
        // A dataset's images are named by its stems (Cityscapes' frankfurt_000000_000294, not …_leftImg8bit).
        var files = dataset?.Files();
        var stems = files?.ToDictionary(f => Path.GetFullPath(f.ImagePath), f => f.Stem, StringComparer.Ordinal);
        string StemOf(string image) => stems?.GetValueOrDefault(image) ?? Path.GetFileNameWithoutExtension(image);
        IReadOnlyDictionary<string, string>? truths = compare ? files!.ToDictionary(f => f.Stem, f => f.MaskPath, StringComparer.Ordinal)
            : masks is null ? null : FilePairs.ByStem(masks, FilePairs.MaskExtensions, "masks");
        var images = files?.Select(f => Path.GetFullPath(f.ImagePath)).ToList() ?? ListImages(input);
        // Every file this run will write, checked before the model is even loaded: never an input, never an
        // existing file unless --overwrite.
        string[] Outputs(string stem) => new[]
        {
            stem + ".png", colorize ? stem + ".color.png" : null, overlay ? stem + ".overlay.png" : null, truths is not null ? stem + ".compare.png" : null,
        }.OfType<string>().ToArray();
        guard.InputFile("--model", modelPath).InputFile("--palette", paletteFile).InputFiles(dataset is null ? "--input" : "--dataset", images)
            .InputFolder("--input", dataset is null && Directory.Exists(input) ? input : null).InputFolder("--masks", masks).InputFolder("--root", dataset?.Root)
            .InputFiles(dataset is null ? "--masks" : "--dataset", truths?.Values ?? Enumerable.Empty<string>())
            .OutputFolder("--output", output, images.SelectMany(i => Outputs(StemOf(i))));

        // Under MPI each rank scores every Size-th image; all ranks have checked the outputs before any writes one.
        var world = MpiWorld.Current;
        world?.Barrier();
        int all = images.Count;
        images = screening.Keep(world.Share(images), cancel);
        var ml = new MLContext();
        using var model = spec.Load(ml);
        Directory.CreateDirectory(output);
        int done = 0;
        // A bar on a terminal; in logs a plain line per image, with the rate and the time left.
        var progress = new ProgressLine("predict", images.Count, "images", TimeSpan.Zero);
        foreach (var result in SegmentationScoring.Score(ml, model.Transformer, images))
        {
            cancel.ThrowIfCancellationRequested();
            string stem = StemOf(result.ImagePath);
            int nan = result.ClassMap.Labels.Count(l => l == SegmentationGraph.NotAScoreClass);
            if (nan > 0)
                throw new InvalidDataException($"{result.ImagePath}: the model's scores are NaN at {nan} of {result.ClassMap.Labels.Length} pixels " +
                    $"(a broken or diverged model: {modelPath}); no class map was written for it");
            MaskWriter.WriteIndexPng(Path.Combine(output, stem + ".png"), result.ClassMap);
            if (colorize) MaskWriter.WriteColorPng(Path.Combine(output, stem + ".color.png"), result.ClassMap, palette);
            if (overlay || truths is not null)
            {
                var (w, h, rgb) = SegmentationScoring.ReadRgb(result.ImagePath); // decoded once for both pictures
                if (overlay) MaskWriter.WriteOverlay(Path.Combine(output, stem + ".overlay.png"), w, h, rgb, result.ClassMap, palette);
                if (truths is not null)
                {
                    if (!truths.TryGetValue(stem, out var maskPath)) throw new FileNotFoundException($"--masks {masks}: no mask named {stem}.png for {result.ImagePath}");
                    var truth = MaskReader.Read(maskPath, mapping: dataset?.Layout.LabelMapping);
                    if (truth.Width != w || truth.Height != h) throw new InvalidDataException($"{maskPath}: mask is {truth.Width}x{truth.Height} but its image is {w}x{h}");
                    MaskWriter.WriteComparison(Path.Combine(output, stem + ".compare.png"), w, h, rgb, truth, result.ClassMap, palette, ignoreLabel);
                }
            }
            done++;
            if (progress.Interactive) progress.Report(done, stem);
            else Console.Error.WriteLine($"[{done}/{images.Count}] {stem}: {result.ClassMap.Width}x{result.ClassMap.Height}" +
                (world is null ? "" : $" (rank {world.Rank}, {all} image(s) in all)") + $"  {progress.Speed(done)}");
        }
        progress.Done();
        var written = new long[] { done };
        world?.AllreduceSum(written.AsSpan());
        Console.WriteLine($"wrote {written[0]} class map(s) to {Path.GetFullPath(output)}");
        return screening.Report();
    }

    private static IReadOnlyList<string> ListImages(string input)
    {
        if (File.Exists(input)) return new[] { Path.GetFullPath(input) };
        if (!Directory.Exists(input)) throw new FileNotFoundException($"input not found: {input}", input);
        var files = FilePairs.ByStem(input, FilePairs.ImageExtensions, "input").Values.Select(Path.GetFullPath).ToList();
        if (files.Count == 0) throw new InvalidDataException($"input folder {input} holds no images ({string.Join(", ", FilePairs.ImageExtensions)})");
        return files;
    }
}
