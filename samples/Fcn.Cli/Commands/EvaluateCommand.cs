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
    public const string Usage =
        "fcn evaluate --masks <folder> --num-classes N [--ignore-label L] [--json <file>] [--report <folder>] [--overwrite]\n" +
        "             (--predictions <folder> | --model <file> --images <folder> [--include P,… | --exclude P,…] " + ModelArguments.Usage + " " + ModelArguments.ScoringUsage + " " + ModelArguments.DeviceUsage + " " + ImageScreening.Usage + ")\n" +
        "             a standard dataset in place of --masks/--images: " + DatasetArguments.Usage + "\n" +
        "             (its classes and ignore label replace --num-classes and --ignore-label; predictions are <stem>.png)\n" +
        "             --report writes index.html (metrics, per-class table and chart, confusion heatmap, worst and best images) and metrics.json";

    public static readonly string[] Flags = ModelArguments.ScoringFlags.Append("skip-bad").ToArray();


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
        if (predictions is not null)
        {
            if (modelPath is not null || images is not null) throw new UsageException("give either --predictions or --model with --images");
            if (ModelArguments.AnyPreprocessingFlag(cl) || ModelArguments.AnyScoringFlag(cl)) throw new UsageException("preprocessing, --tta-… and --tile flags need --model");
            cl.RejectUnknown();
            guard.OutputFile("--json", json).OutputFolder("--report", reportFolder, SegmentationReport.FileNames);
            var scored = new Progress<int>(i => Console.Error.Write($"\r{i} image(s) scored"));
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
            var scoredRows = model.Transformer.Transform(data);
            metrics = Report(reportFolder) is { } report
                ? ml.SemanticSegmentation().EvaluateWithReport(scoredRows, classes, report, "Label", "Segmentation", ignore, classNames: names)
                : ml.SemanticSegmentation().Evaluate(scoredRows, classes, "Label", "Segmentation", ignore, classNames: names);
            if (world is not null) metrics = world.SumOverRanks(metrics.ConfusionMatrix).ToMetrics(names);
        }
        Console.Error.WriteLine();
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
}
