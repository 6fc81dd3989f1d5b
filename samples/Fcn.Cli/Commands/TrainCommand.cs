using Fcn.Cli.Help;
using System.Globalization;
using System.Text.Json;
using Fcn.MLNet;
using Fcn.MLNet.Data;
using Fcn.MLNet.Datasets;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Reporting;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Distributed;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.MLNet;
using Fcn.MLNet.Training.Optimization;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary>
/// <c>fcn train</c>: fine-tunes an ONNX FCN, or one built on a backbone (staged or at once), on image/mask folders,
/// through the ML.NET FCN trainer — so the result is the same pipeline <c>Trainers.Fcn</c> gives in code.
/// </summary>
internal static class TrainCommand
{
    private static readonly FcnTrainerOptions Defaults = new(); // the one table of defaults (docs/training.md)

    private static string Invariant(double value) => value.ToString(CultureInfo.InvariantCulture);

    public static readonly CommandDefinition Definition = new("train", "fine-tunes an ONNX FCN, or one built on a backbone (staged or at once), on image/mask folders or a standard dataset",
        new[]
        {
            "({model} | {backbone} {arch} [--stages]) {images} {masks} {num-classes} {output}",
            "({model} | {backbone} {arch} [--stages]) {dataset} {root} {split} [--val-split <name>] {output}",
        },
        new Option[]
        {
            new("model", "<base.onnx>", "an ONNX FCN to fine-tune (from fcn build, or any FCN)"),
            new("backbone", "resnet18|<classifier.onnx>", "build the FCN on the shipped ImageNet ResNet18 or an ImageNet classifier ONNX"),
            new("arch", "fcn32s|fcn16s|fcn8s", "the FCN to build on --backbone"),
            Option.Switch("stages", "train FCN-32s, then 16s, then 8s, each from the last [default: the --arch at once]"),
            new("images", "<folder>", "training images"),
            new("masks", "<folder>", "training masks, paired with the images by file stem"),
            new("num-classes", "N", $"number of classes, 1 to {Fcn.MLNet.Evaluation.SegmentationConfusionMatrix.MaxClasses}"),
            new("output", "<trained.onnx|model.zip>", "the trained model: the ONNX FCN, or an ML.NET model zip over image paths"),
            new("iterations", "I", "iterations (batches) per stage, in place of --epochs"),
            new("epochs", "E", "passes over the training images per stage", Invariant(Defaults.Epochs)),
            new("batch-size", "B", "images per batch", Invariant(Defaults.BatchSize)),
            new("workers", "N", "threads that decode and augment images ahead of training (0: on the training thread)",
                $"{Defaults.DataLoadingWorkers} on this machine (a quarter of the cores, 1 to 4; 0 on 2 cores)"),
            new("lr", "X", "base learning rate (the loss is the mean over labelled pixels)", Invariant(Defaults.LearningRate)),
            new("momentum", "M", "SGD momentum", Invariant(Defaults.Momentum)),
            new("weight-decay", "W", "weight decay", Invariant(Defaults.WeightDecay)),
            new("bias-lr-mult", "K", "learning-rate multiplier of biases", Invariant(Defaults.BiasLearningRateMultiplier)),
            new("bias-decay-mult", "K", "weight-decay multiplier of biases", Invariant(Defaults.BiasWeightDecayMultiplier)),
            new("lr-policy", "fixed|step:N[:G]|poly:N[:P]", "learning-rate schedule within a stage: step every N iterations by G (0.1), or poly to iteration N with power P (0.9)", "fixed"),
            new("ignore-label", "L", "the masks' label that carries no loss", Invariant(Defaults.IgnoreLabel)),
            new("crop", "WxH", "random crops WIDTHxHEIGHT, padded with the ignore label", "whole images", "pixels"),
            new("scale-jitter", "MIN:MAX", "resize each image by a random factor in [MIN, MAX] before cropping", "native scale"),
            new("rotate", "DEG", "random rotation (probability ½) by up to ± DEG", "none", "degrees"),
            Option.Switch("photometric", "random brightness, contrast, saturation and hue (MMSegmentation's PhotoMetricDistortion)"),
            new("blur", "MIN:MAX", "random Gaussian blur (probability ½) with σ in [MIN, MAX]", "none", "pixels"),
            Option.Switch("no-augment", "no random mirroring [default: mirror half the images]"),
            Option.Switch("no-shuffle", "take the images in file order [default: shuffled every epoch, seeded]"),
            new("seed", "S", "seed of shuffling, crops, mirroring and loss sampling", Invariant(Defaults.Seed)),
            new("class-weights", "median-frequency|w0,w1,…", "per-class loss weights, or median-frequency balancing from the masks", "all 1"),
            new("loss-sample", "F", "fraction of pixels whose loss is kept (paper 3.4)", Invariant(Defaults.LossSampleFraction)),
            new("log", "<file.jsonl>", "one JSON line per iteration: stage, iteration, epoch, loss, lr, seconds"),
            new("classes", "<names.txt>", "class names, one a line, stored in the model"),
            new("val-images", "<folder>", "validation images: mean IU after every epoch; goes with --val-masks"),
            new("val-masks", "<folder>", "validation masks"),
            new("include", "P,…", "only training images whose file name starts with one of these prefixes (sequences)"),
            new("exclude", "P,…", "leave out training images whose file name starts with one of these prefixes"),
            new("val-include", "P,…", "the same for validation images"),
            new("val-exclude", "P,…", "the same for validation images"),
            new("checkpoint-dir", "<folder>", "write a checkpoint after every epoch (and the curves plot) here"),
            Option.Switch("resume", "continue from the checkpoint in --checkpoint-dir; other settings are refused"),
            Option.Switch("allow-lr-change", "with --resume: accept a different --lr"),
            new("val-split", "<name>", "with --dataset: the split to validate on"),
            new("report", "<folder>", "where the validation set's HTML report goes at the end (with a validation set)", "<output stem>-report beside --output"),
        }.Concat(ImageScreening.Options(batch: false)).Concat(ModelArguments.PreprocessingOptions).Append(ModelArguments.DeviceOption)
         .Concat(DatasetArguments.Flags).Append(OutputGuard.OverwriteOption).ToArray(),
        new[]
        {
            "A standard dataset replaces the folders; its classes, ignore label and names replace --num-classes, --ignore-label and --classes.",
            "Preprocessing flags apply to a --backbone classifier ONNX (resnet18 brings its own). Defaults: docs/training.md.",
        });


    public static int Run(CommandLine cl, CancellationToken cancel)
    {
        var trainFilter = StemFilter.Parse(cl.Optional("include"), cl.Optional("exclude"));
        var valFilter = StemFilter.Parse(cl.Optional("val-include"), cl.Optional("val-exclude"));
        var options = Parse(cl, cancel, out string images, out string masks, out string output, out string? log, out string? valImages, out string? valMasks,
            out var screening, out var dataset, out string? valSplit, out string? reportFolder);
        if (valImages is null && valSplit is null && !valFilter.KeepsAll) throw new UsageException("--val-include and --val-exclude need --val-images (or --val-split)");
        var trainPairs = dataset?.Files(filter: trainFilter) ?? trainFilter.Apply(FilePairs.Pair(images, masks), "--images");
        var valPairs = valSplit is not null ? dataset!.Files(valSplit, valFilter)
            : valImages is null ? null : valFilter.Apply(FilePairs.Pair(valImages, valMasks!), "--val-images");
        // Every image is checked before hours of training depend on it (a bad one is an error naming it); under MPI
        // each rank checks its share, and all wait until every rank has checked the outputs, before rank 0 writes.
        var world = MpiWorld.Current;
        screening.Keep(world.Share(trainPairs.Concat(valPairs ?? Array.Empty<FilePair>()).Select(p => p.ImagePath).ToList()), cancel);
        world?.Barrier();
        var ml = new MLContext(seed: options.Seed);
        ml.Log += (_, e) => { if (e.Source.Contains(nameof(FcnTrainer)) && e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning) Console.WriteLine("  " + e.RawMessage); };
        var loadImages = ml.Transforms.LoadImages("Image", imageFolder: "", inputColumnName: "ImagePath");
        var train = Load(ml, trainPairs, dataset);
        var validation = valPairs is null ? null : Load(ml, valPairs, dataset);
        if (validation is not null) options.ValidationData = loadImages.Fit(train).Transform(validation);
        var trainSequences = StemFilter.Sequences(trainPairs);
        Console.WriteLine($"training sequences: {StemFilter.Describe(trainSequences)}" +
            (valPairs is null ? "" : $"; validation sequences: {StemFilter.Describe(StemFilter.Sequences(valPairs))}"));
        if (valPairs is not null && StemFilter.Sequences(valPairs).Keys.Where(trainSequences.ContainsKey).ToList() is { Count: > 0 } shared)
            Console.WriteLine($"  note: validation shares sequence(s) {string.Join(", ", shared)} with training, so it measures fit to a seen " +
                "sequence; hold a whole sequence out (--exclude / --val-include) to measure generalisation");
        Console.WriteLine($"training on {trainPairs.Count} image(s), batch {options.BatchSize}" +
            (world is null ? ", " : $" per rank × {world.Size} MPI ranks = global batch {options.BatchSize * world.Size}, ") +
            (options.Iterations is int i ? $"{i} iteration(s)" : $"{options.Epochs} epoch(s)") + " per stage, " +
            $"{(options.CropSize is { } cs ? $"crops {cs.Width}x{cs.Height}" : "native size")}, {(options.Mirror ? "mirroring" : "no mirroring")}, " +
            (options.ScaleRange is { } sr ? $"scale jitter {sr.Min.ToString(CultureInfo.InvariantCulture)}–{sr.Max.ToString(CultureInfo.InvariantCulture)}, " : "") + $"lr {options.LearningRate.ToString(CultureInfo.InvariantCulture)}");

        bool givenModel = options.BaseModelPath is not null;
        var resumeFrom = options.Resume ? FcnCheckpoint.Load(options.CheckpointFolder!) : null;
        bool writes = world?.IsRoot ?? true; // rank 0 alone writes the log and the model
        using var logWriter = log is null || !writes ? null : TrainingLog.Open(log, resumeFrom, givenModel);
        int reported = 0;
        var previous = TimeSpan.Zero;
        // Iterations per stage, for the rate and the time left (the trainer's own count: whole batches of the global batch).
        int perStage = options.Iterations ?? options.Epochs * ((trainPairs.Count + options.BatchSize * (world?.Size ?? 1) - 1) / (options.BatchSize * (world?.Size ?? 1)));
        var progress = new ProgressLine("train", perStage, "iterations", TimeSpan.MaxValue);
        string? stage = null;
        options.Progress = new SynchronousProgress<FcnTrainingProgress>(p =>
        {
            if (p.EndOfEpoch) return;
            var seconds = (p.Elapsed - previous).TotalSeconds;
            previous = p.Elapsed;
            logWriter?.Write(p, givenModel, seconds);
            if (p.Stage.ToString() != stage)
            {
                progress.Restart(perStage, startAt: p.Iteration - 1); // a resumed stage starts past 0
                stage = p.Stage.ToString();
            }
            if (reported++ == 0 || p.Iteration % 20 == 0)
                progress.WriteLine(Console.Out, string.Create(CultureInfo.InvariantCulture,
                    $"  {(givenModel ? "" : p.Stage + " ")}iteration {p.Iteration} (epoch {p.Epoch})  loss {p.Loss:F4}  lr {p.LearningRate:G3}  {seconds * 1000:F0} ms/iter  {p.Elapsed:hh\\:mm\\:ss}  {progress.Speed(p.Iteration)}"));
            if (progress.Interactive) progress.Report(p.Iteration, string.Create(CultureInfo.InvariantCulture, $"{(givenModel ? "" : p.Stage + " ")}loss {p.Loss:F4}"));
        });

        var trainer = ml.SemanticSegmentation().Trainers.Fcn(options);
        using var model = new LoadedModel(loadImages.Append(trainer).Fit(train));
        progress.Done();
        if (cancel.IsCancellationRequested)
        {
            // An interrupted run is not a finished model: --output is left alone; the checkpoint carries on.
            Console.Error.WriteLine("fcn train: interrupted; " + (options.CheckpointFolder is { } c
                ? $"the last finished epoch is in {Path.GetFullPath(Path.Combine(c, FcnCheckpoint.FileName))}: run the same command with --resume to continue"
                : "nothing was kept (give --checkpoint-dir to make runs resumable)"));
            return Interruption.ExitCode;
        }
        void Write(string path)
        {
            if (path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) AtomicFile.WriteAllBytes(path, trainer.TrainedModel!);
            else AtomicFile.Write(path, s => ml.Model.Save(model.Transformer, ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema, s));
        }
        if (!writes) return 0;
        try { Write(output); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A finished run is never thrown away because its output could not be written (full disk, permissions).
            string kept = Path.Combine(options.CheckpointFolder ?? Directory.GetCurrentDirectory(), Path.GetFileName(output));
            string where;
            try
            {
                if (string.Equals(Path.GetFullPath(kept), Path.GetFullPath(output), StringComparison.Ordinal)) throw new IOException("same place");
                Write(kept);
                where = $"the trained model was kept as {Path.GetFullPath(kept)}";
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
                where = options.CheckpointFolder is { } c
                    ? $"the last epoch's model is in {Path.GetFullPath(Path.Combine(c, FcnCheckpoint.FileName))}"
                    : "the trained model could not be kept anywhere";
            }
            throw new IOException($"could not write --output {Path.GetFullPath(output)}: {e.Message} — {where}", e);
        }
        Console.WriteLine($"wrote {Path.GetFullPath(output)}" + (trainer.History!.Validation.LastOrDefault() is { } v ? $" (validation mean IU {v.MeanIU:F4})" : ""));
        if (validation is not null && reportFolder is not null)
        {
            // The same report as fcn evaluate --report, for the trained model on the validation set.
            var report = new SegmentationReportOptions { Folder = reportFolder, Title = $"fcn train: {Path.GetFileName(output)} on the validation set" };
            report.Figures.Add(new ReportFigure("Training curves", Fcn.MLNet.Training.Reporting.CurvesPlot.Svg(trainer.History!, options.ClassNames)));
            ml.SemanticSegmentation().EvaluateWithReport(model.Transformer.Transform(validation), options.NumberOfClasses, report, "Label", "Segmentation",
                options.IgnoreLabel, classNames: options.ClassNames);
            Console.WriteLine($"report: {Path.Combine(Path.GetFullPath(reportFolder), SegmentationReport.HtmlFileName)}");
        }
        return 0;
    }

    private static FcnTrainerOptions Parse(CommandLine cl, CancellationToken cancel, out string images, out string masks, out string output, out string? log,
        out string? valImages, out string? valMasks, out ImageScreening screening, out DatasetArguments? dataset, out string? valSplit, out string? reportFolder)
    {
        string? modelPath = cl.Optional("model"), backbone = cl.Optional("backbone"), arch = cl.Optional("arch");
        if ((modelPath is null) == (backbone is null)) throw new UsageException("give either --model or --backbone with --arch");
        if (backbone is not null && arch is null) throw new UsageException("--backbone needs --arch");
        if (modelPath is not null && (arch is not null || cl.Flag("stages"))) throw new UsageException("--arch and --stages apply to --backbone, not --model");
        dataset = DatasetArguments.Parse(cl, "images", "masks", "val-images", "val-masks");
        images = dataset is null ? cl.Required("images") : "";
        masks = dataset is null ? cl.Required("masks") : "";
        valSplit = cl.Optional("val-split");
        if (valSplit is not null && dataset is null) throw new UsageException("--val-split goes with --dataset (with folders give --val-images and --val-masks)");
        output = cl.Required("output");
        if (!output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !output.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            throw new UsageException("--output must be a .onnx or .zip file");
        int classes = dataset?.NumberOfClasses(cl) ?? cl.NumberOfClasses();
        int? iterations = cl.OptionalInt("iterations"), epochs = cl.OptionalInt("epochs");
        if (iterations is not null && epochs is not null) throw new UsageException("give --iterations or --epochs, not both");
        valImages = cl.Optional("val-images");
        valMasks = cl.Optional("val-masks");
        if ((valImages is null) != (valMasks is null)) throw new UsageException("--val-images and --val-masks go together");
        string? checkpoints = cl.Optional("checkpoint-dir");
        bool resume = cl.Flag("resume");
        log = cl.Optional("log");
        string? namesFile = cl.Optional("classes");
        reportFolder = cl.Optional("report");
        bool validated = valImages is not null || valSplit is not null;
        if (reportFolder is not null && !validated) throw new UsageException("--report needs a validation set (--val-images and --val-masks, or --val-split)");
        reportFolder ??= validated ? DefaultReportFolder(output) : null;
        var defaults = Defaults;
        var options = new FcnTrainerOptions
        {
            BaseModelPath = modelPath,
            Backbone = backbone ?? "resnet18",
            Architecture = arch is null ? FcnArchitecture.Fcn8s : BuildCommand.ParseArchitecture(arch),
            Protocol = cl.Flag("stages") ? FcnTrainingProtocol.Staged : FcnTrainingProtocol.AtOnce,
            NumberOfClasses = classes,
            ClassNames = dataset is not null ? dataset.ClassNames(namesFile) : namesFile is null ? null : BuildCommand.ReadNames(namesFile, classes),
            Iterations = iterations,
            Epochs = epochs ?? defaults.Epochs,
            BatchSize = cl.OptionalInt("batch-size") ?? defaults.BatchSize,
            DataLoadingWorkers = cl.OptionalInt("workers") ?? defaults.DataLoadingWorkers,
            LearningRate = cl.OptionalDouble("lr") ?? defaults.LearningRate,
            Momentum = cl.OptionalDouble("momentum") ?? defaults.Momentum,
            WeightDecay = cl.OptionalDouble("weight-decay") ?? defaults.WeightDecay,
            BiasLearningRateMultiplier = cl.OptionalDouble("bias-lr-mult") ?? defaults.BiasLearningRateMultiplier,
            BiasWeightDecayMultiplier = cl.OptionalDouble("bias-decay-mult") ?? defaults.BiasWeightDecayMultiplier,
            Schedule = ParseSchedule(cl.Optional("lr-policy")),
            IgnoreLabel = dataset?.IgnoreLabel(cl) ?? cl.OptionalInt("ignore-label") ?? defaults.IgnoreLabel,
            CropSize = cl.Optional("crop") is { } c ? ParseCrop(c) : null,
            ScaleRange = cl.Optional("scale-jitter") is { } j ? ParseScaleRange(j) : null,
            MaxRotationDegrees = cl.OptionalDouble("rotate"),
            Photometric = cl.Flag("photometric") ? new PhotometricDistortion() : null,
            BlurSigma = cl.Optional("blur") is { } blur ? ParseRange(blur, "--blur", "σ in pixels, e.g. 0.1:2") : null,
            Mirror = !cl.Flag("no-augment") && defaults.Mirror,
            LossSampleFraction = cl.OptionalDouble("loss-sample") ?? defaults.LossSampleFraction,
            Shuffle = !cl.Flag("no-shuffle") && defaults.Shuffle,
            Seed = cl.OptionalInt("seed") ?? defaults.Seed,
            CheckpointFolder = checkpoints,
            Resume = resume,
            AllowLearningRateChangeOnResume = cl.Flag("allow-lr-change"),
            OverwriteCheckpoint = cl.Flag(OutputGuard.OverwriteFlag),
            CancellationToken = cancel,
            Preprocessing = ModelArguments.Preprocessing(cl),
            GpuDeviceId = ModelArguments.Device(cl),
        };
        ParseClassWeights(cl.Optional("class-weights"), options);
        var guard = OutputGuard.For(cl);
        screening = ImageScreening.Parse(cl, batch: false);
        cl.RejectUnknown();
        guard.InputFile("--model", modelPath).InputFile("--backbone", backbone is not null && File.Exists(backbone) ? backbone : null).InputFile("--classes", namesFile)
            .InputFolder("--images", dataset is null ? images : null).InputFolder("--masks", dataset is null ? masks : null).InputFolder("--root", dataset?.Root).InputFolder("--val-images", valImages).InputFolder("--val-masks", valMasks)
            .OutputFile("--output", output, mayExist: resume).OutputFile("--log", log, mayExist: resume).OutputFolder("--checkpoint-dir", checkpoints)
            .OutputFolder("--report", reportFolder, SegmentationReport.FileNames);
        // The trainer's own checks, the same for code and command line (each names its flag): a usage error here.
        try { options.Validate(); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        return options;
    }

    /// <summary>Where the validation report goes without <c>--report</c>: <c>&lt;output stem&gt;-report</c> beside the output.</summary>
    public static string DefaultReportFolder(string output) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(output))!, Path.GetFileNameWithoutExtension(output) + "-report");

    private static void ParseClassWeights(string? text, FcnTrainerOptions options)
    {
        if (text is null) return;
        if (text.Equals("median-frequency", StringComparison.OrdinalIgnoreCase))
        {
            options.ClassBalancing = ClassBalancing.MedianFrequency;
            return;
        }
        var parts = text.Split(',');
        var weights = new float[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out weights[i]) || !(weights[i] >= 0) || float.IsInfinity(weights[i]))
                throw new UsageException($"--class-weights: '{parts[i]}' is not a weight ≥ 0 (give median-frequency or one weight per class, comma-separated)");
        if (weights.Length != options.NumberOfClasses)
            throw new UsageException($"--class-weights has {weights.Length} weights for {options.NumberOfClasses} classes");
        options.ClassWeights = weights;
    }

    private static LearningRateSchedule ParseSchedule(string? text)
    {
        if (text is null) return LearningRateSchedule.Fixed;
        try { return LearningRateSchedule.Parse(text); }
        catch (FormatException e) { throw new UsageException(e.Message); }
    }

    /// <summary>The rows of the pairs; a dataset's mask column carries its label mapping.</summary>
    private static IDataView Load(MLContext ml, IReadOnlyList<FilePair> pairs, DatasetArguments? dataset) =>
        ml.SemanticSegmentation().LoadFiles(pairs, dataset?.Layout.LabelMapping);

    private static (double Min, double Max) ParseRange(string s, string flag, string example)
    {
        var parts = s.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double min)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double max))
            return (min, max);
        throw new UsageException($"{flag}: expected MIN:MAX ({example}), got '{s}'");
    }

    private static (double Min, double Max) ParseScaleRange(string s)
    {
        var parts = s.Split(':');
        if (parts.Length == 2
            && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double min)
            && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double max)
            && BatchSamplerOptions.IsValidScaleRange(min, max))
            return (min, max);
        throw new UsageException($"--scale-jitter: expected MIN:MAX with 0 < MIN ≤ MAX ≤ 16 (e.g. 0.75:1.25), got '{s}'");
    }

    private static (int Height, int Width) ParseCrop(string s)
    {
        var (w, h) = ConvolutionalizeCommand.ParseSize(s, "--crop");
        return (h, w);
    }
}
