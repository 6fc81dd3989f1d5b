using System.Diagnostics;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;
using Fcn.MLNet.Training.Autodiff;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Distributed;
using Fcn.MLNet.Training.Engine;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.Optimization;
using Google.Protobuf;

namespace Fcn.MLNet.Training;

/// <summary>
/// Fine-tunes an ONNX FCN: each step runs one ONNX training graph (forward, softmax cross-entropy, backward; see
/// <see cref="GradientGraphBuilder"/>) in ONNX Runtime and then updates the parameters in C# with
/// <see cref="SgdMomentum"/>. One ONNX Runtime session is built per batch shape and cached.
/// </summary>
/// <example>
/// <code>
/// using var trainer = OnnxFcnTrainer.FromFile("fcn8s.onnx", new TrainerOptions { LearningRate = 1e-4, BiasLearningRateMultiplier = 2 });
/// trainer.Train(batches, iterations: 1000, new Progress&lt;TrainingProgress&gt;(p =&gt; Console.WriteLine(p)));
/// File.WriteAllBytes("fcn8s-tuned.onnx", trainer.ExportModel());
/// </code>
/// </example>
public sealed class OnnxFcnTrainer : IDisposable
{
    private readonly ModelProto _forward;
    private readonly TrainerOptions _options;
    private readonly Dictionary<string, TrainableParameter> _byName;
    private readonly SgdMomentum _optimizer;
    private readonly SessionCache _sessions;
    private readonly GradientGraphOptions _graphOptions;
    private readonly DataParallelLoss? _dataParallel;
    private bool _disposed;

    /// <summary>Prepares to train the ONNX model in <paramref name="modelBytes"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not an ONNX model.</exception>
    /// <exception cref="ArgumentException">An option is invalid, or every parameter is frozen.</exception>
    public OnnxFcnTrainer(byte[] modelBytes, TrainerOptions? options = null)
    {
        _options = options ?? new TrainerOptions();
        _options.Validate();
        _forward = OnnxModelFile.Parse(modelBytes);
        var origin = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!_options.KeepSharedWeightsTied)
            foreach (var (copy, original) in Surgery.SharedInitializers.Untie(_forward)) origin[copy] = original;
        UntiedWeights = origin;
        long opset = OnnxModelFile.DefaultDomainOpset(_forward);
        if (opset is < GradientGraphBuilder.MinimumOpset or > GradientGraphBuilder.MaximumOpset)
            throw new NotSupportedException(
                $"Training supports ONNX opset {GradientGraphBuilder.MinimumOpset}–{GradientGraphBuilder.MaximumOpset}; this model imports opset {opset}.");

        var biases = ParameterDiscovery.Biases(_forward);
        var recordedFrozen = new HashSet<string>(ParameterRules.Frozen(_forward), StringComparer.Ordinal);
        var recordedRules = ParameterRules.Multipliers(_forward);
        var initializers = _forward.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var parameters = new List<TrainableParameter>();
        foreach (var name in ParameterDiscovery.Find(_forward, _options.ScoresOutputName))
        {
            // A copy made by untying answers to its own name and to the name of the tensor it was copied from.
            string original = origin.GetValueOrDefault(name, name);
            if (recordedFrozen.Contains(original) || _options.IsFrozen is { } frozen && (frozen(name) || frozen(original))) continue;
            var t = initializers[name];
            bool isBias = biases.Contains(name);
            // The model's own rule for this parameter, else the bias defaults; then the caller's per-name multiplier.
            var rule = recordedRules.GetValueOrDefault(original)
                ?? new ParameterRule(isBias ? _options.BiasLearningRateMultiplier : 1.0, isBias ? _options.BiasWeightDecayMultiplier : 1.0);
            double lrMult = rule.LearningRateMultiplier * (_options.LearningRateMultiplier?.Invoke(original) ?? 1.0);
            parameters.Add(new TrainableParameter(name, t.Dims.ToArray(), OnnxTensor.ReadFloats(t), isBias,
                (float)lrMult, (float)rule.WeightDecayMultiplier));
        }
        if (parameters.Count == 0) throw new ArgumentException("Every parameter of the model is frozen; there is nothing to train.");
        Parameters = parameters;
        _byName = parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _optimizer = new SgdMomentum(parameters, _options.Momentum, _options.WeightDecay);
        _sessions = new SessionCache(_options.MaxCachedShapes);
        _graphOptions = new GradientGraphOptions
        {
            ImageInputName = _options.ImageInputName,
            ScoresOutputName = _options.ScoresOutputName,
            ActiveDropout = _options.ActiveDropout,
            DropoutSeed = _options.Seed,
        };
        if (_options.World is { } world)
        {
            // Every rank starts from rank 0's parameters.
            _dataParallel = new DataParallelLoss(world);
            int iteration = 0;
            bool started = false;
            _dataParallel.BroadcastState(parameters, ref iteration, ref started, momentum: false);
        }
    }

    /// <summary>Time spent summing gradients over the MPI ranks so far, and the steps it covers (zero without a world).</summary>
    public (TimeSpan Time, int Steps) GradientAllreduce => _dataParallel is { } d ? (d.GradientAllreduceTime, d.Steps) : (TimeSpan.Zero, 0);

    /// <summary>Loads the model at <paramref name="path"/>.</summary>
    public static OnnxFcnTrainer FromFile(string path, TrainerOptions? options = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"ONNX model file not found: {path}", path);
        return new OnnxFcnTrainer(File.ReadAllBytes(path), options);
    }

    /// <summary>
    /// Tensors that the model shared between several uses and that now train apart (copy name → original name);
    /// empty when nothing was shared or <see cref="TrainerOptions.KeepSharedWeightsTied"/> is set. See
    /// <see cref="Surgery.SharedInitializers"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> UntiedWeights { get; }

    /// <summary>The trained parameters (values, latest gradients, momentum).</summary>
    public IReadOnlyList<TrainableParameter> Parameters { get; }

    /// <summary>Iterations (optimizer steps) done.</summary>
    public int Iteration { get; private set; }

    /// <summary>The base learning rate the next step will use.</summary>
    public double CurrentLearningRate => _options.Schedule.At(Iteration, _options.LearningRate);

    /// <summary>Training sessions built so far (one per new batch shape, again after eviction).</summary>
    public int SessionsBuilt => _sessions.Built;

    /// <summary>Number of classes C, known after the first batch.</summary>
    public int? Classes { get; private set; }

    /// <summary>
    /// Builds (and caches) the training session for batches of <paramref name="count"/> images of
    /// <paramref name="height"/>×<paramref name="width"/> now, so that an unsupported operator or an unusable model
    /// is reported before any data is loaded. Returns the number of classes C.
    /// </summary>
    /// <exception cref="Autodiff.UnsupportedOperatorException">A node between a trainable parameter and the loss has no backward rule.</exception>
    public int Prepare(int count, int height, int width)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var session = _sessions.Get((count, height, width), () => CreateSession(count, height, width));
        return session.Graph.Classes;
    }

    /// <summary>One training iteration: forward, loss, backward, SGD update. Returns the loss before the update.</summary>
    /// <exception cref="TrainingDivergedException">The loss or the updated weights are not finite; the weights of the
    /// failed iteration must not be used (<see cref="Iteration"/> does not advance).</exception>
    public double Step(TrainingBatch batch)
    {
        double loss = ComputeLossAndGradients(batch);
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException(Iteration + 1, $"the loss is {loss}", TrainingDivergedException.Advice);
        _optimizer.Update(CurrentLearningRate);
        if (Parameters.FirstOrDefault(p => !AllFinite(p.Values)) is { } bad)
            throw new TrainingDivergedException(Iteration + 1, $"the update made weights of '{bad.Name}' non-finite (loss was {loss:G4})", TrainingDivergedException.Advice);
        Iteration++;
        return loss;
    }

    private static bool AllFinite(float[] values)
    {
        // x − x is 0 for finite x and NaN for ±∞ and NaN, so one running sum tells.
        var span = values.AsSpan();
        int i = 0;
        var acc = System.Numerics.Vector<float>.Zero;
        if (System.Numerics.Vector.IsHardwareAccelerated)
        {
            var vectors = System.Runtime.InteropServices.MemoryMarshal.Cast<float, System.Numerics.Vector<float>>(span);
            foreach (var v in vectors) acc += v - v;
            i = vectors.Length * System.Numerics.Vector<float>.Count;
        }
        float rest = 0;
        for (; i < span.Length; i++) rest += span[i] - span[i];
        return System.Numerics.Vector.Sum(acc) == 0 && rest == 0;
    }

    /// <summary>
    /// Computes the loss of <paramref name="batch"/> and fills every parameter's <see cref="TrainableParameter.Gradient"/>
    /// without updating anything.
    /// </summary>
    public double ComputeLossAndGradients(TrainingBatch batch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(batch);
        var session = _sessions.Get((batch.Count, batch.Height, batch.Width), () => CreateSession(batch.Count, batch.Height, batch.Width));
        batch.Images.AsSpan().CopyTo(session.Image);
        // Loss sampling draws from a generator seeded by (seed, iteration): a resumed run draws what the uninterrupted one did.
        var random = new Random(SeedMix.Of(_options.Seed, Iteration));
        if (_dataParallel is null)
        {
            PixelWeights.Fill(batch.Labels, session.Graph.Classes, _options.IgnoreLabel, _options.ClassWeights,
                _options.LossSampleFraction, random, session.Labels, session.PixelWeights);
            return session.Run();
        }
        // This rank's share of the global batch: its part of the global loss, then the sums over all ranks.
        _dataParallel.FillWeights(batch.Labels, session.Graph.Classes, _options.IgnoreLabel, _options.ClassWeights,
            _options.LossSampleFraction, random, session.Labels, session.PixelWeights);
        return _dataParallel.SumOverRanks(Parameters, session.Run());
    }

    /// <summary>
    /// Runs <paramref name="iterations"/> steps over <paramref name="batches"/> (which should repeat or be
    /// endless), reporting each step to <paramref name="progress"/>. Returns the last report.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batches ran out before the iterations.</exception>
    public TrainingProgress Train(IEnumerable<TrainingBatch> batches, int iterations, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        var recent = new Queue<double>();
        double recentSum = 0;
        var clock = Stopwatch.StartNew();
        TrainingProgress? last = null;
        using var e = batches.GetEnumerator();
        for (int i = 0; i < iterations; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!e.MoveNext()) throw new InvalidOperationException($"The batches ran out after {i} of {iterations} iterations.");
            double lr = CurrentLearningRate;
            var start = clock.Elapsed;
            double loss = Step(e.Current);
            recent.Enqueue(loss);
            recentSum += loss;
            if (recent.Count > 20) recentSum -= recent.Dequeue();
            last = new TrainingProgress(Iteration, loss, recentSum / recent.Count, lr, clock.Elapsed - start, clock.Elapsed);
            progress?.Report(last);
        }
        return last!;
    }

    /// <summary>
    /// Trains on <paramref name="dataset"/> for <paramref name="iterations"/> steps, drawing batches as the options
    /// say (<see cref="TrainerOptions.BatchSize"/>, <see cref="TrainerOptions.CropSize"/> or native size,
    /// <see cref="TrainerOptions.Mirror"/>, shuffled every epoch, seeded by <see cref="TrainerOptions.Seed"/>).
    /// </summary>
    public TrainingProgress Train(SegmentationDataset dataset, int iterations, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        var sampler = new BatchSampler(dataset, new BatchSamplerOptions
        {
            BatchSize = _options.BatchSize,
            CropSize = _options.CropSize,
            Mirror = _options.Mirror,
            IgnoreLabel = _options.IgnoreLabel,
            Seed = _options.Seed,
            Shard = _options.World is { } w ? (w.Rank, w.Size) : (0, 1),
        });
        return Train(sampler.Batches(iterations), iterations, progress, cancellationToken);
    }

    /// <summary>The forward model with the trained parameter values, as ONNX bytes (same graph, updated initializers).</summary>
    public byte[] ExportModel() => ExportModelProto().ToByteArray();

    /// <summary>Writes <see cref="ExportModel"/> to <paramref name="path"/> atomically.</summary>
    public void SaveModel(string path) => OnnxModelFile.Save(ExportModelProto(), path);

    /// <summary>
    /// Writes the resumable training state (iteration, parameter values, momentum buffers) to <paramref name="path"/>;
    /// see <see cref="TrainingCheckpoint"/>.
    /// </summary>
    public void SaveCheckpoint(string path) => TrainingCheckpoint.Save(path, Iteration, _optimizer.Started, Parameters);

    /// <summary>
    /// Restores a state written by <see cref="SaveCheckpoint(string)"/> for the same model and frozen set, so training goes on
    /// exactly where it stopped (the schedule continues from the saved iteration).
    /// </summary>
    /// <exception cref="InvalidDataException">The checkpoint does not match the trained parameters.</exception>
    public void LoadCheckpoint(string path)
    {
        var (iteration, started) = TrainingCheckpoint.Load(path, Parameters);
        Restore(iteration, started);
    }

    private void Restore(int iteration, bool started)
    {
        // Every rank continues from rank 0's copy of the state.
        _dataParallel?.BroadcastState(Parameters, ref iteration, ref started, momentum: true);
        Iteration = iteration;
        _optimizer.Started = started;
    }

    /// <summary>
    /// Writes the training state to <paramref name="stream"/>; without values when it is kept beside
    /// <see cref="ExportModel"/>, which holds them (the trainer that resumes is then created from that model).
    /// </summary>
    public void SaveCheckpoint(Stream stream, bool includeValues) =>
        TrainingCheckpoint.Write(stream, Iteration, _optimizer.Started, Parameters, includeValues);

    /// <summary>Restores a state written by <see cref="SaveCheckpoint(Stream, bool)"/>; <paramref name="source"/> names it in errors.</summary>
    public void LoadCheckpoint(Stream stream, string source)
    {
        var (iteration, started) = TrainingCheckpoint.Read(stream, source, Parameters);
        Restore(iteration, started);
    }

    private ModelProto ExportModelProto()
    {
        var model = _forward.Clone();
        foreach (var t in model.Graph.Initializer)
        {
            if (!_byName.TryGetValue(t.Name, out var p)) continue;
            var updated = OnnxTensor.Float(t.Name, p.Values, p.Shape);
            t.FloatData.Clear();
            t.RawData = updated.RawData;
        }
        return model;
    }

    private StepSession CreateSession(int count, int height, int width)
    {
        // Exports and single-image batches keep the model's own batch declaration (often a fixed 1).
        var forward = count > 1 ? Surgery.DynamicInput.WithDynamicBatch(_forward, _options.ImageInputName) : _forward;
        var graph = GradientGraphBuilder.Build(forward, Parameters.Select(p => p.Name).ToList(),
            new long[] { count, 3, height, width }, _graphOptions);
        if (_options.NumberOfClasses is int expected && expected != graph.Classes)
            throw new InvalidDataException($"The model scores {graph.Classes} classes but {expected} were asked for (NumberOfClasses / --num-classes).");
        if (_options.ClassWeights is { } w && w.Length != graph.Classes)
            throw new ArgumentException($"{w.Length} class weights given; the model has {graph.Classes} classes.");
        Classes = graph.Classes;
        int threads = _options.Threads > 0 ? _options.Threads : _options.World?.ThreadsPerRank ?? 0;
        return new StepSession(graph, _byName, threads, _options.ProfileOutputPrefix, _options.GpuDeviceId);
    }

    /// <summary>Releases the ONNX Runtime sessions.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _sessions.Dispose();
    }
}
