using Fcn.Cli.Help;
using Fcn.MLNet;
using Fcn.MLNet.Data;
using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Distributed;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn evaluate</c>: the paper's metrics for prediction PNGs, or for a model run on images.</summary>
internal static class EvaluateCommand
{
    public static readonly CommandDefinition Definition = new("evaluate", "pixel accuracy, mean accuracy, mean IU and f.w. IU for prediction PNGs, or for a model run on images",
        new[] { "{masks} {num-classes} ({predictions} | {model} {images})", "{dataset} {root} {split} ({predictions} | {model})" },
        new Option[]
        {
            new("masks", "<folder>", "ground-truth masks, <stem>.png per image"),
            new("num-classes", "N", $"number of classes, 1 to {Fcn.MLNet.Evaluation.SegmentationConfusionMatrix.MaxClasses}"),
            new("ignore-label", "L", "the masks' label that is not scored", "255"),
            new("predictions", "<folder>", "prediction PNGs (<stem>.png, value = class) to score against --masks"),
            new("model", "<file.onnx|file.zip>", "run this FCN on --images and score its maps"),
            new("images", "<folder>", "the images --model runs on, paired with --masks by file stem"),
            new("include", "P,…", "only images whose file name starts with one of these prefixes (sequences)"),
            new("exclude", "P,…", "leave out images whose file name starts with one of these prefixes"),
            new("json", "<file>", "also write the metrics, per-class IU and confusion matrix as JSON"),
            new("report", "<folder>", "also write an HTML report there: metrics, per-class table and chart, confusion heatmap, worst and best images (docs/evaluation.md)"),
        }.Concat(ModelArguments.PreprocessingOptions).Concat(ModelArguments.ScoringOptions).Append(ModelArguments.DeviceOption).Concat(ImageScreening.Options(batch: true))
         .Concat(DatasetArguments.Flags).Append(OutputGuard.OverwriteOption).ToArray(),
        new[] { "A standard dataset replaces --masks and --images; its classes and ignore label replace --num-classes and --ignore-label." });


    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        var dataset = DatasetArguments.Parse(cl, "images", "masks");
        string? masks = dataset is null ? cl.Required("masks") : null;
        int classes = dataset?.NumberOfClasses(cl) ?? cl.NumberOfClasses();
        int ignore = dataset?.IgnoreLabel(cl) ?? cl.OptionalInt("ignore-label") ?? 255;
        string? json = cl.Optional("json"), reportFolder = cl.Optional("report");
        string? predictions = cl.Optional("predictions"), modelPath = cl.Optional("model"), images = dataset is null ? cl.Optional("images") : null;
        var guard = OutputGuard.For(cl).InputFolder("--masks", masks).InputFolder("--root", dataset?.Root).InputFolder("--predictions", predictions).InputFolder("--images", images).InputFile("--model", modelPath);
        var ml = new MLContext();
        // Under MPI (model mode) the ranks share the images; prediction folders are read whole by every rank.
        var world = MpiWorld.Current;

        SemanticSegmentationMetrics metrics;
        ImageScreening? screening = null;
        ProgressLine progress;
        if (predictions is not null)
        {
            if (modelPath is not null || images is not null) throw new UsageException("give either --predictions or --model with --images");
            if (ModelArguments.AnyPreprocessingFlag(cl) || ModelArguments.AnyScoringFlag(cl)) throw new UsageException("preprocessing, --tta-… and --tile flags need --model");
            cl.RejectUnknown();
            guard.OutputFile("--json", json).OutputFolder("--report", reportFolder, SegmentationReport.FileNames);
            progress = new ProgressLine("evaluate", CountMasks(dataset, masks), "images", TimeSpan.FromSeconds(10));
            var scored = new SynchronousProgress<int>(i => progress.Report(i));
            var report = world?.IsRoot ?? true ? Report(reportFolder) : null; // every rank reads the folders; rank 0 writes
            metrics = (dataset, report) switch
            {
                (not null, null) => ml.SemanticSegmentation().EvaluatePredictions(dataset.Options(), predictions, scored),
                (not null, not null) => ml.SemanticSegmentation().EvaluatePredictionsWithReport(dataset.Options(), predictions, report, scored),
                (null, null) => ml.SemanticSegmentation().EvaluateFolders(masks!, predictions, classes, ignore, progress: scored),
                (null, not null) => ml.SemanticSegmentation().EvaluateFoldersWithReport(masks!, predictions, classes, report, ignore, progress: scored),
            };
        }
        else
        {
            if (modelPath is null || (images is null && dataset is null))
                throw new UsageException(dataset is null ? "give either --predictions or --model with --images" : "give either --predictions or --model");
            var spec = ModelArguments.Parse(cl, modelPath);
            string? include = cl.Optional("include"), exclude = cl.Optional("exclude");
            screening = ImageScreening.Parse(cl, batch: true);
            cl.RejectUnknown();
            guard.OutputFile("--json", json).OutputFolder("--report", reportFolder, SegmentationReport.FileNames);
            if (world is not null && reportFolder is not null)
                throw new UsageException("--report with --model scores every image in one process: run it without mpirun (the ranks share the images)");
            using var model = spec.Load(ml);
            var filter = StemFilter.Parse(include, exclude);
            var pairs = dataset?.Files(filter: filter) ?? filter.Apply(FilePairs.Pair(images!, masks!), "--images");
            Console.Error.WriteLine($"evaluating sequences: {StemFilter.Describe(StemFilter.Sequences(pairs))}");
            // Under MPI each rank scores every Size-th image; the confusion matrices are summed below.
            pairs = world.Share(pairs);
            var good = screening.Keep(pairs.Select(p => p.ImagePath), cancel).ToHashSet(StringComparer.Ordinal);
            pairs = pairs.Where(p => good.Contains(p.ImagePath)).ToList();
            var data = dataset is not null ? ml.SemanticSegmentation().LoadFiles(pairs, dataset.Layout.LabelMapping)
                : ml.Data.LoadFromEnumerable(pairs.Select(p => new ImageMaskRow { ImagePath = Path.GetFullPath(p.ImagePath), Label = p.MaskPath }));
            var info = SegmentationModelInfo.Read(modelPath);
            if (info.NumberOfClasses is int k && k != classes)
                throw new InvalidDataException($"{modelPath} scores {k} classes but " + (dataset is null ? $"--num-classes is {classes}" : $"--dataset {dataset.Layout.Name} has {classes}"));
            var names = info.ClassNames ?? dataset?.Layout.ClassNames;
            progress = new ProgressLine("evaluate", pairs.Count, "images", TimeSpan.FromSeconds(10));
            var scoredRows = model.Transformer.Transform(data);
            var rows = new SynchronousProgress<int>(i => progress.Report(i));
            metrics = Report(reportFolder) is { } report
                ? ml.SemanticSegmentation().EvaluateWithReport(scoredRows, classes, report, "Label", "Segmentation", ignore, classNames: names, progress: rows)
                : ml.SemanticSegmentation().Evaluate(scoredRows, classes, "Label", "Segmentation", ignore, classNames: names, progress: rows);
            if (world is not null) metrics = world.SumOverRanks(metrics.ConfusionMatrix).ToMetrics(names);
        }
        progress.Done();
        Console.WriteLine(metrics);
        if (json is not null && (world?.IsRoot ?? true)) AtomicFile.WriteAllBytes(json, System.Text.Encoding.UTF8.GetBytes(metrics.ToJson()));
        if (reportFolder is not null && (world?.IsRoot ?? true)) Console.Error.WriteLine($"report: {Path.Combine(Path.GetFullPath(reportFolder), SegmentationReport.HtmlFileName)}");
        // mpirun ends the whole job when a rank exits non-zero (skipped images): not before rank 0 has written.
        world?.Barrier();
        if (screening?.Report() is int skipped && skipped > 0)
        {
            Console.Error.WriteLine("note: the metrics above leave out these images");
            return skipped;
        }
        return 0;
    }

    /// <summary>The report's options for <c>--report</c> (null without it).</summary>
    private static SegmentationReportOptions? Report(string? folder) =>
        folder is null ? null : new SegmentationReportOptions { Folder = folder, Title = "fcn evaluate" };

    /// <summary>How many images the predictions are scored for (for the ETA); 0 when the folder cannot be listed yet.</summary>
    private static int CountMasks(DatasetArguments? dataset, string? masks)
    {
        try { return dataset?.Files().Count ?? FilePairs.ByStem(masks!, FilePairs.MaskExtensions, "masks").Count; }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or ArgumentException) { return 0; }
    }
}
