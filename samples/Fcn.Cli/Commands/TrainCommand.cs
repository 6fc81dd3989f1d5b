using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Fcn.MLNet;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Google.Protobuf;
using Microsoft.ML;

namespace Fcn.Cli.Commands;

/// <summary><c>fcn train</c>: fine-tunes an ONNX FCN (or one built on a backbone) on image/mask folders.</summary>
internal static class TrainCommand
{
    public const string Usage =
        "fcn train    (--model <base.onnx> | --backbone resnet18|<classifier.onnx> --arch fcn32s|fcn16s|fcn8s)\n" +
        "             --images <folder> --masks <folder> --num-classes N --output <trained.onnx|model.zip>\n" +
        "             [--iterations I | --epochs E] [--batch-size B] [--lr X] [--momentum M] [--weight-decay W]\n" +
        "             [--bias-lr-mult K] [--ignore-label L] [--crop WxH] [--no-augment] [--no-shuffle] [--seed S]\n" +
        "             [--log <file.jsonl>] [--classes <names.txt>] " + ModelArguments.Usage;

    public static readonly string[] Flags = ModelArguments.Flags.Concat(new[] { "no-augment", "no-shuffle" }).ToArray();

    public static int Run(CommandLine cl)
    {
        string? modelPath = cl.Optional("model"), backboneName = cl.Optional("backbone"), archName = cl.Optional("arch");
        if ((modelPath is null) == (backboneName is null)) throw new UsageException("give either --model or --backbone with --arch");
        if (backboneName is not null && archName is null) throw new UsageException("--backbone needs --arch");
        if (modelPath is not null && archName is not null) throw new UsageException("--arch applies to --backbone, not --model");
        string images = cl.Required("images"), masks = cl.Required("masks"), output = cl.Required("output");
        int classes = cl.RequiredInt("num-classes");
        if (!output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) && !output.EndsWith(".zip", StringComparison.OrdinalIgnoreCase))
            throw new UsageException("--output must be a .onnx or .zip file");
        int? iterations = cl.OptionalInt("iterations"), epochs = cl.OptionalInt("epochs");
        if (iterations is not null && epochs is not null) throw new UsageException("give --iterations or --epochs, not both");
        if (iterations is < 1 || epochs is < 1) throw new UsageException("--iterations and --epochs must be at least 1");
        int batchSize = cl.OptionalInt("batch-size") ?? 1;
        if (batchSize < 1) throw new UsageException("--batch-size must be at least 1");
        int ignore = cl.OptionalInt("ignore-label") ?? 255;
        var crop = cl.Optional("crop") is { } c ? ParseCrop(c) : ((int, int)?)null;
        bool augment = !cl.Flag("no-augment"), shuffle = !cl.Flag("no-shuffle");
        int seed = cl.OptionalInt("seed") ?? 1;
        string? logPath = cl.Optional("log"), namesFile = cl.Optional("classes");
        var options = new TrainerOptions
        {
            LearningRate = cl.OptionalDouble("lr") ?? 1e-4,
            Momentum = cl.OptionalDouble("momentum") ?? 0.9,
            WeightDecay = cl.OptionalDouble("weight-decay") ?? 5e-4,
            BiasLearningRateMultiplier = cl.OptionalDouble("bias-lr-mult") ?? 2,
            IgnoreLabel = ignore,
            Seed = seed,
        };
        var flagsPreprocessing = ModelArguments.Preprocessing(cl);
        cl.RejectUnknown();
        try { options.Validate(); } catch (ArgumentException e) { throw new UsageException(e.Message); }

        var names = namesFile is null ? null : BuildCommand.ReadNames(namesFile, classes);
        var model = modelPath is not null
            ? OnnxModelFile.Load(modelPath)
            : FcnHeads.Build(backboneName!.Equals("resnet18", StringComparison.OrdinalIgnoreCase)
                ? Backbone.ResNet18()
                : Backbone.FromClassifier(OnnxModelFile.Load(backboneName), backboneName, flagsPreprocessing ?? ImagePreprocessing.None),
                BuildCommand.ParseArchitecture(archName!), classes, names);
        var contract = FcnModelContract.Inspect(model, modelPath ?? "built model");
        if (contract.NumberOfClasses is int k && k != classes)
            throw new InvalidDataException($"{modelPath ?? "the built model"} scores {k} classes but --num-classes is {classes}");
        var preprocessing = flagsPreprocessing
            ?? (OnnxModelFile.GetMetadata(model, ModelMetadata.PreprocessingKey) is { } json ? ImagePreprocessing.FromJson(json) : ImagePreprocessing.None);
        OnnxModelFile.SetMetadata(model, ModelMetadata.PreprocessingKey, preprocessing.ToJson());
        if (names is not null) ModelMetadata.WriteClassNames(model, names);
        var frozen = new HashSet<string>(FcnHeads.FrozenParameters(model), StringComparer.Ordinal);
        options.IsFrozen = frozen.Contains;

        var dataset = SegmentationDataset.FromFolders(images, masks, preprocessing);
        var sampler = new BatchSampler(dataset, new BatchSamplerOptions
        {
            BatchSize = batchSize, CropSize = crop, Mirror = augment, Shuffle = shuffle, IgnoreLabel = ignore, Seed = seed,
        });
        int perEpoch = (dataset.Count + batchSize - 1) / batchSize;
        int total = iterations ?? perEpoch * (epochs ?? 1);
        Console.WriteLine($"training on {dataset.Count} image(s), batch {batchSize}, {total} iteration(s) ({(double)total / perEpoch:F2} epoch(s)), " +
            $"{(crop is { } cs ? $"crops {cs.Item2}x{cs.Item1}" : "native size")}, {(augment ? "mirroring" : "no augmentation")}, lr {options.LearningRate}");

        using var trainer = new OnnxFcnTrainer(model.ToByteArray(), options);
        using var log = logPath is null ? null : new StreamWriter(logPath, append: false) { AutoFlush = true };
        var clock = Stopwatch.StartNew();
        int every = Math.Max(1, total / 50);
        trainer.Train(sampler.Batches(), total, new SynchronousProgress(p =>
        {
            int epoch = (p.Iteration - 1) / perEpoch + 1;
            log?.WriteLine(JsonSerializer.Serialize(new { iteration = p.Iteration, epoch, loss = p.Loss, lr = p.LearningRate, seconds = p.StepTime.TotalSeconds }));
            if (p.Iteration == 1 || p.Iteration % every == 0 || p.Iteration == total)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  iteration {p.Iteration}/{total}  epoch {epoch}  loss {p.Loss:F4}  (avg {p.AverageLoss:F4})  lr {p.LearningRate:G3}  {p.StepTime.TotalMilliseconds:F0} ms/iter  {p.Elapsed:hh\\:mm\\:ss}"));
        }));

        var trained = trainer.ExportModel();
        if (output.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) AtomicFile.WriteAllBytes(output, trained);
        else
        {
            var ml = new MLContext();
            using var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = trained, Preprocessing = preprocessing });
            var schema = ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema;
            AtomicFile.Write(output, s => ml.Model.Save(pipeline, schema, s));
        }
        Console.WriteLine($"wrote {Path.GetFullPath(output)} after {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }

    private static (int Height, int Width) ParseCrop(string s)
    {
        var (w, h) = ConvolutionalizeCommand.ParseSize(s); // WxH
        return (h, w);
    }

    /// <summary>Reports on the training thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
