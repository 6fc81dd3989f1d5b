// Train-step benchmark and PyTorch parity runner for Fcn.MLNet.Training (run by hand, not part of the tests).
//
//   bench  --model fcn8s.onnx --size 320x320 [--batch 1] [--iters 20] [--warmup 3] [--threads 2] [--classes-from-model]
//          times forward + backward (ComputeLossAndGradients) and full steps (with the SGD update) on random data,
//          prints one JSON line with the timings and the peak resident memory (VmHWM).
//   parity --model small.onnx --images images.f32 --labels labels.i32 --steps S --batch N --height H --width W
//          [--lr 0.01] [--momentum 0.9] [--weight-decay 5e-4] [--bias-lr 2] [--ignore 255] [--threads 2]
//          trains S steps on the given raw batches (float32 [S, N, 3, H, W], int32 [S, N, H, W]) and prints the
//          loss of every step as JSON.
//   allreduce --model fcn8s.onnx [--iters 20] [--warmup 3]      (under mpirun -np N)
//          times the gradient allreduce of data-parallel training for the model's parameters (AllreduceBenchmark).
//   bench under mpirun -np N: each rank runs its batch data-parallel (gradients summed over the ranks); rank 0 prints,
//          with the allreduce time per step; --threads defaults to cores / ranks on the machine.
//   dataset --out DIR [--count 600] [--size 2048x1024] [--classes 19] [--ignore 255]
//          writes DIR/images and DIR/masks: seeded synthetic scenes for the data-loading benchmark (benchmarks/streaming).
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Data;

var inv = CultureInfo.InvariantCulture;
// mpirun gives ranks a pseudo-terminal, which .NET's console would set up for keys (escape codes in the output).
if (Fcn.MLNet.Training.Distributed.MpiLaunch.FromEnvironment() is not null) Environment.SetEnvironmentVariable("TERM", "dumb");
if (args.Length == 0 || args[0] is not ("bench" or "parity" or "dataset" or "allreduce"))
{
    Console.Error.WriteLine("usage: allreduce --model M [--iters K] [--warmup W] | bench --model M --size HxW [--batch N] [--iters K] [--warmup W] [--threads T] | parity --model M --images F --labels F --steps S --batch N --height H --width W [...] | dataset --out DIR [--count N] [--size WxH] [--classes C] [--ignore L]");
    return 2;
}
var options = new Dictionary<string, string>();
for (int i = 1; i + 1 < args.Length; i += 2) options[args[i].TrimStart('-')] = args[i + 1];
string Get(string key, string fallback) => options.TryGetValue(key, out var v) ? v : fallback;
int Int(string key, int fallback) => int.Parse(Get(key, fallback.ToString(inv)), inv);
double Real(string key, double fallback) => double.Parse(Get(key, fallback.ToString(inv)), inv);

if (args[0] == "dataset")
{
    var wh = Get("size", "2048x1024").Split('x');
    if (Get("out", "") is not { Length: > 0 } folder) { Console.Error.WriteLine("dataset: --out DIR is required"); return 2; }
    SyntheticDataset.Write(folder, Int("count", 600), int.Parse(wh[0], inv), int.Parse(wh[1], inv), Int("classes", 19), Int("ignore", 255));
    return 0;
}

string modelPath = Get("model", "");
var world = Fcn.MLNet.Training.Distributed.MpiWorld.Current;
int threads = Int("threads", world?.ThreadsPerRank ?? 2);
if (args[0] == "allreduce") return AllreduceBenchmark.Run(modelPath, Int("iters", 20), Int("warmup", 3));

if (args[0] == "parity")
{
    int steps = Int("steps", 5), n = Int("batch", 1), h = Int("height", 0), w = Int("width", 0);
    var images = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Get("images", ""))).ToArray();
    var labels = MemoryMarshal.Cast<byte, int>(File.ReadAllBytes(Get("labels", ""))).ToArray();
    using var trainer = OnnxFcnTrainer.FromFile(modelPath, new TrainerOptions
    {
        LearningRate = Real("lr", 0.01),
        Momentum = Real("momentum", 0.9),
        WeightDecay = Real("weight-decay", 5e-4),
        BiasLearningRateMultiplier = Real("bias-lr", 2),
        BiasWeightDecayMultiplier = Real("bias-decay", 1),
        IgnoreLabel = Int("ignore", 255),
        Threads = threads,
    });
    int imageSize = n * 3 * h * w, labelSize = n * h * w;
    var losses = new List<double>();
    for (int s = 0; s < steps; s++)
    {
        var batch = new TrainingBatch(n, h, w, images.AsSpan(s * imageSize, imageSize).ToArray(), labels.AsSpan(s * labelSize, labelSize).ToArray());
        if (s == 0 && options.TryGetValue("grads", out var gradsPrefix))
        {
            // The first step's gradients: <prefix>.f32 (concatenated float32) and <prefix>.json (name, offset, count).
            trainer.ComputeLossAndGradients(batch);
            using var raw = File.Create(gradsPrefix + ".f32");
            var index = new List<object>();
            long offset = 0;
            foreach (var p in trainer.Parameters)
            {
                raw.Write(MemoryMarshal.AsBytes(p.Gradient.AsSpan()));
                index.Add(new { name = p.Name, offset, count = p.Gradient.Length });
                offset += p.Gradient.Length;
            }
            File.WriteAllText(gradsPrefix + ".json", JsonSerializer.Serialize(index));
        }
        losses.Add(trainer.Step(batch));
    }
    Console.WriteLine(JsonSerializer.Serialize(new { losses }, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
    if (options.TryGetValue("export", out var exportPath)) trainer.SaveModel(exportPath);
    return 0;
}

{
    var size = Get("size", "320x320").Split('x');
    int h = int.Parse(size[0], inv), w = int.Parse(size[1], inv), n = Int("batch", 1);
    int iters = Int("iters", 20), warmup = Int("warmup", 3);
    var clock = Stopwatch.StartNew();
    using var trainer = OnnxFcnTrainer.FromFile(modelPath, new TrainerOptions { LearningRate = 1e-6, Threads = threads, IgnoreLabel = 255, ProfileOutputPrefix = options.GetValueOrDefault("profile"), World = world });
    var rng = new Random(1);
    var images = new float[n * 3 * h * w];
    for (int i = 0; i < images.Length; i++) images[i] = (float)(rng.NextDouble() * 2 - 1);
    var first = new TrainingBatch(n, h, w, images, new int[n * h * w]);
    trainer.ComputeLossAndGradients(first); // builds the session; learns C
    double setupMs = clock.Elapsed.TotalMilliseconds;
    if (options.TryGetValue("dump", out var dumpPath))
    {
        var g = Fcn.MLNet.Training.Autodiff.GradientGraphBuilder.Build(Fcn.MLNet.Onnx.OnnxModelFile.Load(modelPath),
            trainer.Parameters.Select(p => p.Name).ToList(), new long[] { n, 3, h, w });
        Fcn.MLNet.Onnx.OnnxModelFile.Save(g.Model, dumpPath);
    }
    int classes = trainer.Classes ?? 2;
    var labels = new int[n * h * w];
    for (int i = 0; i < labels.Length; i++) labels[i] = rng.Next(classes);
    var batch = new TrainingBatch(n, h, w, images, labels);

    for (int i = 0; i < warmup; i++) trainer.Step(batch);
    var backward = new List<double>();
    var steps = new List<double>();
    for (int i = 0; i < iters; i++)
    {
        var t0 = Stopwatch.GetTimestamp();
        trainer.ComputeLossAndGradients(batch);
        backward.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        t0 = Stopwatch.GetTimestamp();
        trainer.Step(batch);
        steps.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }
    // The SGD update alone, on the trainer's parameters (momentum buffers of a separate optimizer).
    var sgd = new Fcn.MLNet.Training.Optimization.SgdMomentum(trainer.Parameters, 0.9, 5e-4);
    var updates = new List<double>();
    for (int i = 0; i < 20; i++)
    {
        var t0 = Stopwatch.GetTimestamp();
        sgd.Update(1e-9);
        updates.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
    }
    static double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
    long parameters = trainer.Parameters.Sum(p => (long)p.Values.Length);
    var (allreduceTime, allreduceSteps) = trainer.GradientAllreduce;
    if (world is { IsRoot: false }) return 0;
    Console.WriteLine(JsonSerializer.Serialize(new
    {
        engine = "Fcn.MLNet.Training (ONNX Runtime)",
        model = Path.GetFileName(modelPath),
        batch = n, height = h, width = w, threads, parameters,
        ranks = world?.Size ?? 1,
        allreduce_ms_per_step = allreduceSteps > 0 ? Math.Round(allreduceTime.TotalMilliseconds / allreduceSteps, 1) : 0,
        setup_ms = Math.Round(setupMs),
        forward_backward_ms_median = Math.Round(Median(backward), 1),
        step_ms_median = Math.Round(Median(steps), 1),
        step_ms_min = Math.Round(steps.Min(), 1),
        update_ms_median = Math.Round(Median(updates), 2),
        peak_rss_mb = PeakRssMb(),
    }));
    return 0;
}

static double PeakRssMb()
{
    foreach (var line in File.ReadLines("/proc/self/status"))
        if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            return Math.Round(double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024, 1);
    return double.NaN;
}
