using System.Diagnostics;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Distributed;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.Reporting;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// Fine-tunes an FCN end to end on an IDataView of images and masks (paper 4.3) and returns the same kind of
/// transformer as SegmentFcn, so the trained pipeline scores any image size and saves as a model zip. Builds
/// FCN-32s/16s/8s on a backbone (or takes an existing FCN), trains staged or at once, reports progress to the ML.NET
/// log and to <see cref="FcnTrainerOptions.Progress"/>, validates mean IU after every epoch, writes an atomic
/// checkpoint per epoch (and resumes from it), and draws the training curves.
/// </summary>
public sealed class FcnTrainer : IEstimator<TransformerChain<ITransformer>>
{
    private readonly MLContext _ml;
    private readonly FcnTrainerOptions _options;
    private MpiWorld? _world;
    private int Ranks => _world?.Size ?? 1;
    private bool WritesFiles => _world?.IsRoot ?? true;

    internal FcnTrainer(MLContext ml, FcnTrainerOptions options)
    {
        _ml = ml;
        _options = options;
        options.Validate(); // before any data is read
    }

    /// <summary>The file (in the checkpoint folder) that keeps the final net of a stage of a staged run: <c>fcn32s.onnx</c>, ….</summary>
    public static string StageModelFileName(FcnArchitecture stage) => stage.ToString().ToLowerInvariant() + ".onnx";

    /// <summary>The curves of the last <see cref="Fit"/>.</summary>
    public TrainingHistory? History { get; private set; }

    /// <summary>The trained FCN of the last <see cref="Fit"/> (ONNX bytes).</summary>
    public byte[]? TrainedModel { get; private set; }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        _ml.Transforms.SegmentFcn(ScoringOptions(SchemaOnlyModel(_options.NumberOfClasses), ImagePreprocessing.None)).GetOutputSchema(inputSchema);

    /// <inheritdoc />
    /// <remarks>
    /// In a process launched by <c>mpirun</c> or <c>srun</c> as one of several ranks (<see cref="MpiWorld.Current"/>),
    /// every rank calls Fit on the same data and they train data-parallel: the global batch is ranks ×
    /// <see cref="FcnTrainerOptions.BatchSize"/>, each step equals one process training on it, validation is sharded,
    /// and rank 0 alone writes the checkpoint folder. An error on any rank ends the whole job (MPI_Abort) with its message.
    /// </remarks>
    public TransformerChain<ITransformer> Fit(IDataView input)
    {
        _world = _options.DataParallel ? MpiWorld.Current : null;
        if (_world is null) return FitCore(input);
        try { return FitCore(input); }
        catch (Exception e) when (!(e is OperationCanceledException && _options.CancellationToken.IsCancellationRequested))
        {
            // The other ranks would wait for this one in their next allreduce for ever: end the job instead.
            _world.Abort($"FcnTrainer: {e.Message}");
            throw;
        }
    }

    private TransformerChain<ITransformer> FitCore(IDataView input)
    {
        using var channel = ((IChannelProvider)_ml).Start(nameof(FcnTrainer));
        var stages = _options.BaseModelPath is not null || _options.Protocol == FcnTrainingProtocol.AtOnce
            ? new[] { _options.Architecture }
            : Enum.GetValues<FcnArchitecture>().Where(a => a <= _options.Architecture).ToArray();
        var (first, backbone, preprocessing) = InitialModel(stages[0]);
        // One pass over the labels; images are decoded when drawn (streamed), so memory does not grow with the data.
        var source = DataViewSamples.Survey(input, _options.ImageColumnName, _options.LabelColumnName, preprocessing, "training data",
            _options.NumberOfClasses, _options.IgnoreLabel, _options.CancellationToken);
        var train = source.Dataset;
        _world?.RequireSameOnAllRanks("training data", $"{source.Fingerprint}, batch size {_options.BatchSize}, seed {_options.Seed}");
        // What a checkpoint records and a resume checks.
        var settings = _options.CheckpointFolder is null ? null : TrainingSettings.Of(_options, source.Fingerprint, Ranks);
        Log(channel, $"FcnTrainer: {train.Count} training images, stages {string.Join(" → ", stages)}, {_options.Epochs} epoch(s) each, " +
            $"{_options.DataLoadingWorkers} data loading worker(s)" +
            (_world is { } w ? $"; data-parallel over {w.Size} MPI ranks ({w.Launch.Launcher}, {w.Library}), global batch {w.Size * _options.BatchSize}, {w.ThreadsPerRank} thread(s) per rank" : ""));
        var classWeights = _options.ClassBalancing == ClassBalancing.MedianFrequency
            ? source.PixelCounts.MedianFrequencyWeights()
            : _options.ClassWeights;
        if (_options.ClassBalancing != ClassBalancing.None)
            Log(channel, $"FcnTrainer: {_options.ClassBalancing} class weights {string.Join(", ", classWeights!.Select(x => x.ToString("G4")))}");

        // One run per checkpoint folder at a time; files a killed run left half-written there are removed.
        using var folderLock = _options.CheckpointFolder is { } lockFolder && WritesFiles ? CheckpointFolderLock.Acquire(lockFolder) : null;
        foreach (var stale in folderLock?.RemovedStaleFiles ?? Array.Empty<string>())
            Log(channel, $"FcnTrainer: removed {stale}, left half-written by an interrupted run");
        var checkpoint = _options.Resume ? FcnCheckpoint.Load(_options.CheckpointFolder!) : null;
        if (checkpoint is not null) CheckResumable(checkpoint, settings!, channel);
        if (checkpoint is not null && !stages.Contains(checkpoint.Stage))
            throw new InvalidOperationException($"Cannot resume: the checkpoint in {_options.CheckpointFolder} trains {checkpoint.Stage}, which this run ({string.Join(" → ", stages)}) does not.");
        var history = checkpoint?.History ?? new TrainingHistory();
        var clock = Stopwatch.StartNew();
        ModelProto model = first;
        for (int s = 0; s < stages.Length; s++)
        {
            var stage = stages[s];
            if (checkpoint is not null && stage < checkpoint.Stage) continue; // finished before the crash
            if (s > 0)
            {
                var next = FcnHeads.Build(backbone!, stage, _options.NumberOfClasses, _options.ClassNames, _options.LearnFinalUpsampling);
                var copied = FcnHeads.Transplant(model, next);
                Log(channel, $"FcnTrainer: {stage} initialised from {stages[s - 1]} ({copied.Count} parameters transplanted)");
                model = next;
            }
            FcnCheckpoint? resumeFrom = null;
            if (checkpoint is not null && stage == checkpoint.Stage)
            {
                model = OnnxModelFile.Parse(checkpoint.Model, FcnCheckpoint.FileName);
                resumeFrom = checkpoint;
                Log(channel, $"FcnTrainer: resuming {stage} after epoch {checkpoint.Epoch}");
                checkpoint = null;
            }
            model = TrainStage(model, stage, s, train, preprocessing, classWeights, resumeFrom, history, clock, channel, settings);
            if (_options.CancellationToken.IsCancellationRequested) break;
            if (_options.CheckpointFolder is { } keep && stages.Length > 1 && WritesFiles)
            {
                // The staged protocol yields one net per stage (the paper's FCN-32s/16s/8s rows): keep each.
                string path = Path.Combine(keep, StageModelFileName(stage));
                AtomicFile.WriteAllBytes(path, model.ToByteArray());
                Log(channel, $"FcnTrainer: {stage} finished, kept as {path}");
            }
        }

        History = history;
        TrainedModel = model.ToByteArray();
        if (_options.CheckpointFolder is { } folder && WritesFiles)
            CurvesPlot.Write(Path.Combine(folder, CurvesPlot.FileName), history, _options.ClassNames);
        return _ml.Transforms.SegmentFcn(ScoringOptions(TrainedModel, preprocessing)).Fit(input);
    }

    private void CheckResumable(FcnCheckpoint checkpoint, TrainingSettings now, IChannel channel)
    {
        string path = Path.Combine(_options.CheckpointFolder!, FcnCheckpoint.FileName);
        if (checkpoint.Settings is not { } then)
        {
            channel.Warning(MessageSensitivity.None, $"FcnTrainer: {path} does not record its settings (an older version wrote it); resuming without checking them.");
            return;
        }
        var differences = then.Differences(now, _options.AllowLearningRateChangeOnResume);
        if (differences.Count > 0)
            throw new InvalidOperationException($"Cannot resume from {path}: it was trained with other settings.\n  " + string.Join("\n  ", differences) +
                "\nResume with the checkpoint's settings, or start a new run in another checkpoint folder." +
                (differences.Any(d => d.StartsWith("learning rate", StringComparison.Ordinal)) ? " (A changed learning rate alone can be allowed explicitly.)" : "") +
                (differences.Any(d => d.StartsWith("sampling", StringComparison.Ordinal)) ? " (The batch is the global one, MPI ranks × batch size: any number of ranks resumes if it gives the checkpoint's global batch.)" : ""));
        if (then.LearningRate != now.LearningRate)
            channel.Warning(MessageSensitivity.None, $"FcnTrainer: resuming with learning rate {now.LearningRate} (the checkpoint used {then.LearningRate}), as allowed.");
    }

    private ModelProto TrainStage(ModelProto model, FcnArchitecture stage, int stageIndex, SegmentationDataset train,
        ImagePreprocessing preprocessing, float[]? classWeights, FcnCheckpoint? resumeFrom, TrainingHistory history, Stopwatch clock, IChannel channel,
        TrainingSettings? settings)
    {
        var trainerOptions = new TrainerOptions
        {
            LearningRate = _options.LearningRate, Momentum = _options.Momentum, WeightDecay = _options.WeightDecay,
            BiasLearningRateMultiplier = _options.BiasLearningRateMultiplier, BiasWeightDecayMultiplier = _options.BiasWeightDecayMultiplier,
            Schedule = _options.Schedule, IgnoreLabel = _options.IgnoreLabel, ClassWeights = classWeights, LossSampleFraction = _options.LossSampleFraction,
            Seed = SeedMix.Of(_options.Seed, stageIndex), NumberOfClasses = _options.NumberOfClasses, World = _world,
            GpuDeviceId = _options.GpuDeviceId,
        };
        using var trainer = new OnnxFcnTrainer(model.ToByteArray(), trainerOptions);
        foreach (var (copy, original) in trainer.UntiedWeights)
            Log(channel, $"FcnTrainer: '{original}' is shared by several layers in the model (exporters merge equal tensors); '{copy}' now trains on its own");
        resumeFrom?.RestoreInto(trainer);
        int startEpoch = resumeFrom?.Epoch ?? 0;
        int globalBatch = _options.BatchSize * Ranks;
        int perEpoch = (train.Count + globalBatch - 1) / globalBatch;
        int total = _options.Iterations ?? perEpoch * _options.Epochs;
        int epochs = (total + perEpoch - 1) / perEpoch;
        string stageName = stage.ToString();
        string stageLabel = _options.BaseModelPath is null ? stageName : "model";
        for (int epoch = startEpoch + 1; epoch <= epochs && !_options.CancellationToken.IsCancellationRequested; epoch++)
        {
            // A sampler per epoch, seeded by (seed, stage, epoch): a resumed run sees the same batches as an uninterrupted one.
            var sampler = new BatchSampler(train, new BatchSamplerOptions
            {
                BatchSize = _options.BatchSize, CropSize = _options.CropSize, ScaleRange = _options.ScaleRange, Mirror = _options.Mirror, Shuffle = _options.Shuffle,
                MaxRotationDegrees = _options.MaxRotationDegrees, Photometric = _options.Photometric, BlurSigma = _options.BlurSigma, Preprocessing = preprocessing,
                IgnoreLabel = _options.IgnoreLabel, Seed = SeedMix.Of(_options.Seed, stageIndex, epoch),
                Workers = _options.DataLoadingWorkers, PrefetchFactor = _options.PrefetchFactor,
                Shard = _world is { } w ? (w.Rank, w.Size) : (0, 1),
            });
            int batches = Math.Min(perEpoch, total - trainer.Iteration);
            int e = epoch;
            try
            {
                trainer.Train(sampler.Batches(batches), batches, new SynchronousProgress<TrainingProgress>(p =>
                {
                    history.Losses.Add(new LossPoint(stageName, p.Iteration, p.Loss, p.LearningRate));
                    _options.Progress?.Report(new FcnTrainingProgress(stage, e, p.Iteration, p.Loss, p.LearningRate, null, clock.Elapsed));
                }), _options.CancellationToken);
            }
            catch (OperationCanceledException) when (_options.CancellationToken.IsCancellationRequested)
            {
                // Stopped inside an epoch: the unfinished epoch is dropped; the last finished one is the result.
                Log(channel, $"FcnTrainer: {stageLabel} stopped during epoch {epoch}; keeping the model of epoch {epoch - 1}");
                break;
            }
            catch (TrainingDivergedException d)
            {
                string last = _options.CheckpointFolder is { } f && File.Exists(Path.Combine(f, FcnCheckpoint.FileName))
                    ? $"The last good checkpoint is {Path.Combine(f, FcnCheckpoint.FileName)}."
                    : "No checkpoint was written before it" + (_options.CheckpointFolder is null ? " (no CheckpointFolder)." : ".");
                throw new TrainingDivergedException(d.Iteration, $"{d.Detail} ({stageLabel}, epoch {epoch}, lr {trainer.CurrentLearningRate:G3})",
                    last + " " + TrainingDivergedException.Advice);
            }
            model = OnnxModelFile.Parse(trainer.ExportModel(), stageName);
            double? miu = null;
            if (_options.ValidationData is { } validation)
            {
                var metrics = Validate(model.ToByteArray(), preprocessing, validation);
                miu = metrics.MeanIU;
                history.Validation.Add(new ValidationPoint(stageName, epoch, metrics.MeanIU,
                    metrics.PerClassIU.Select(v => double.IsNaN(v) ? (double?)null : v).ToArray()));
            }
            var recent = history.Losses.Where(l => l.Stage == stageName).TakeLast(perEpoch).Select(l => l.Loss).DefaultIfEmpty(double.NaN).Average();
            Log(channel, $"FcnTrainer: {stageLabel} epoch {epoch}/{epochs}: mean loss {recent:F4}" +
                (miu is double m ? $", validation mean IU {m:F4}" : "") + $" ({clock.Elapsed:hh\\:mm\\:ss})" +
                (trainer.GradientAllreduce is { Steps: > 0 } a ? $"; gradient allreduce {a.Time.TotalMilliseconds / a.Steps:F1} ms/iteration" : ""));
            _options.Progress?.Report(new FcnTrainingProgress(stage, epoch, trainer.Iteration, double.NaN, trainer.CurrentLearningRate, miu, clock.Elapsed, EndOfEpoch: true));
            if (_options.CheckpointFolder is { } folder && WritesFiles)
            {
                FcnCheckpoint.Capture(trainer, stage, epoch, history, settings).Save(folder);
                CurvesPlot.Write(Path.Combine(folder, CurvesPlot.FileName), history, _options.ClassNames);
            }
        }
        return model;
    }

    private SemanticSegmentationMetrics Validate(byte[] model, ImagePreprocessing preprocessing, IDataView validation)
    {
        if (_world is null) return Confusion(model, preprocessing, validation).ToMetrics(_options.ClassNames);
        // Under MPI each rank scores a contiguous share of the rows (none when there are fewer rows than ranks); the
        // confusion matrices are summed.
        long rows = validation.GetRowCount() ?? CountRows(validation);
        long start = rows * _world.Rank / _world.Size, end = rows * (_world.Rank + 1) / _world.Size;
        var share = start == 0 ? validation : _ml.Data.SkipRows(validation, start);
        var mine = end > start ? Confusion(model, preprocessing, _ml.Data.TakeRows(share, end - start)) : new SegmentationConfusionMatrix(_options.NumberOfClasses);
        return _world.SumOverRanks(mine).ToMetrics(_options.ClassNames);
    }

    private SegmentationConfusionMatrix Confusion(byte[] model, ImagePreprocessing preprocessing, IDataView validation)
    {
        var scorer = _ml.Transforms.SegmentFcn(ScoringOptions(model, preprocessing)).Fit(validation);
        try
        {
            return _ml.SemanticSegmentation().Evaluate(scorer.Transform(validation), _options.NumberOfClasses, _options.LabelColumnName,
                _options.OutputColumnName, _options.IgnoreLabel).ConfusionMatrix;
        }
        finally { ModelLifetime.Release(scorer); }
    }

    private static long CountRows(IDataView view)
    {
        using var cursor = view.GetRowCursor(Array.Empty<DataViewSchema.Column>());
        long n = 0;
        while (cursor.MoveNext()) n++;
        return n;
    }

    private (ModelProto Model, Backbone? Backbone, ImagePreprocessing Preprocessing) InitialModel(FcnArchitecture firstStage)
    {
        if (_options.BaseModelPath is { } path)
        {
            var fcn = OnnxModelFile.Load(path);
            var contract = FcnModelContract.Inspect(fcn, path);
            if (contract.NumberOfClasses is int k && k != _options.NumberOfClasses)
                throw new InvalidDataException($"{path} scores {k} classes but {_options.NumberOfClasses} were asked for (NumberOfClasses).");
            var prep = _options.Preprocessing
                ?? ModelMetadata.ReadPreprocessing(fcn) ?? ImagePreprocessing.None;
            // The trained model describes itself: the preprocessing it was trained with, and its class names.
            OnnxModelFile.SetMetadata(fcn, ModelMetadata.PreprocessingKey, prep.ToJson());
            if (_options.ClassNames is { } names) ModelMetadata.WriteClassNames(fcn, names);
            return (fcn, null, prep);
        }
        var backbone = _options.Backbone.Equals("resnet18", StringComparison.OrdinalIgnoreCase)
            ? Architectures.Backbone.ResNet18()
            : Architectures.Backbone.FromClassifier(OnnxModelFile.Load(_options.Backbone), _options.Backbone, _options.Preprocessing ?? ImagePreprocessing.None);
        var model = FcnHeads.Build(backbone, firstStage, _options.NumberOfClasses, _options.ClassNames, _options.LearnFinalUpsampling);
        return (model, backbone, backbone.Preprocessing);
    }

    private SegmentFcnOptions ScoringOptions(byte[] model, ImagePreprocessing preprocessing) => new()
    {
        ModelBytes = model, InputColumnName = _options.ImageColumnName, OutputColumnName = _options.OutputColumnName,
        Preprocessing = preprocessing, ClassNames = _options.ClassNames, GpuDeviceId = _options.GpuDeviceId,
    };

    /// <summary>A 1×1-conv FCN with the right class count: only its output schema is used.</summary>
    private static byte[] SchemaOnlyModel(int classes)
    {
        var b = new OnnxGraphBuilder();
        b.AddInput("image", Onnx.Proto.TensorProto.Types.DataType.Float, 1, 3, "height", "width");
        string y = b.Node("Conv", new[] { "image", b.AddFloats("w", new float[3 * classes], classes, 3, 1, 1) }, OnnxAttribute.Ints("kernel_shape", 1, 1));
        b.AddOutput(y, Onnx.Proto.TensorProto.Types.DataType.Float, 1, classes, "height", "width");
        return OnnxModelFile.CreateModel(b.Graph).ToByteArray();
    }

    /// <summary>Writes an Info message to the ML.NET log (mlContext.Log subscribers).</summary>
    private void Log(IChannel channel, string message)
    {
        if (WritesFiles) channel.Info(MessageSensitivity.None, message); // one log for the whole MPI job: rank 0's
    }

}

/// <summary>Adds <c>Fcn(...)</c> to <c>mlContext.SemanticSegmentation().Trainers</c>.</summary>
public static class FcnTrainerCatalog
{
    /// <summary>Fine-tunes an FCN (paper 4.3) on images and masks; the result scores any image size and saves as a zip.</summary>
    /// <example><code>
    /// var trainer = ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions { NumberOfClasses = 11, IgnoreLabel = 11 });
    /// var model = ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(data);
    /// </code></example>
    public static FcnTrainer Fcn(this SemanticSegmentationTrainers trainers, FcnTrainerOptions options) =>
        new(trainers.Context, options ?? throw new ArgumentNullException(nameof(options)));
}
