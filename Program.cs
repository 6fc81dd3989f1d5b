using System.Diagnostics;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.Data;
using Google.Protobuf;
int h = int.Parse(args[0]), w = int.Parse(args[1]);
var arch = Enum.Parse<FcnArchitecture>(args[2]);
var fcn = FcnHeads.Build(Backbone.ResNet18(), arch, 11);
var frozen = new HashSet<string>(FcnHeads.FrozenParameters(fcn));
using var trainer = new OnnxFcnTrainer(fcn.ToByteArray(), new TrainerOptions { LearningRate = 1e-3, IsFrozen = frozen.Contains, BiasLearningRateMultiplier = 2 });
var rng = new Random(1);
var img = Enumerable.Range(0, 3 * h * w).Select(_ => (float)rng.NextDouble() * 100 - 50).ToArray();
var labels = new LabelMap(w, h, Enumerable.Range(0, h * w).Select(p => (p % w) * 11 / w).ToArray());
var sample = new SegmentationSample(img, labels);
var batches = new BatchSampler(SegmentationDataset.FromSamples(new[] { sample }), new BatchSamplerOptions { IgnoreLabel = 255 }).Batches();
var sw = Stopwatch.StartNew();
foreach (var (b, i) in batches.Take(6).Select((b, i) => (b, i)))
{
    var t = Stopwatch.StartNew();
    double loss = trainer.Step(b);
    Console.WriteLine($"step {i + 1}: loss {loss:F4}  {t.ElapsedMilliseconds} ms");
}
Console.WriteLine($"peak RSS {File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM"))}");
