using System.Diagnostics;
using System.Text.Json;
using Fcn.MLNet.Training;
using Fcn.MLNet.Training.Distributed;

/// <summary>
/// The gradient allreduce of data-parallel training, timed on its own: as a training step does it
/// (<see cref="GradientBuckets"/>), one MPI_Allreduce per parameter, the same bytes as one fused buffer and cut into
/// 4 MB / 16 MB slices, and a one-number allreduce for the latency. Run under mpirun; rank 0 prints one JSON line.
/// </summary>
internal static class AllreduceBenchmark
{
    public static int Run(string modelPath, int iters, int warmup)
    {
        var world = MpiWorld.Current;
        if (world is null)
        {
            Console.Error.WriteLine("allreduce: run under an MPI launcher, e.g. mpirun -np 2 dotnet Fcn.MLNet.Training.Benchmarks.dll allreduce --model fcn8s.onnx");
            return 2;
        }
        long[] sizes;
        using (var trainer = OnnxFcnTrainer.FromFile(modelPath, new TrainerOptions { Threads = 1 }))
            sizes = trainer.Parameters.Select(p => (long)p.Values.Length).ToArray();
        var gradients = sizes.Select(n => Filled((int)n, world.Rank)).ToArray();
        var fused = Filled((int)sizes.Sum(), world.Rank);
        var one = new double[1];

        double Time(Action reduce)
        {
            world.Barrier();
            var t0 = Stopwatch.GetTimestamp();
            reduce();
            return Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
        }
        List<double> Repeat(Action reduce)
        {
            for (int i = 0; i < warmup; i++) Time(reduce);
            return Enumerable.Range(0, iters).Select(_ => Time(reduce)).ToList();
        }
        var perParameter = Repeat(() => { foreach (var g in gradients) world.AllreduceSum(g.AsSpan()); });
        var whole = Repeat(() => world.AllreduceSum(fused.AsSpan()));
        // Fusion buckets (as Horovod's fusion buffer / DDP's buckets would send them), without the packing copies.
        List<double> Buckets(int megabytes)
        {
            int n = megabytes * 1048576 / sizeof(float);
            return Repeat(() => { for (int start = 0; start < fused.Length; start += n) world.AllreduceSum(fused.AsSpan(start, Math.Min(n, fused.Length - start))); });
        }
        var buckets4 = Buckets(4);
        var buckets16 = Buckets(16);
        // What training does: GradientBuckets (large tensors in place, small ones packed into 4 MB buckets).
        var plan = new GradientBuckets(gradients);
        var training = Repeat(() => plan.SumOverRanks(world));
        var latency = Repeat(() => world.AllreduceSum(one.AsSpan()));
        static double Median(List<double> v) { var s = v.Order().ToList(); return s.Count % 2 == 1 ? s[s.Count / 2] : (s[s.Count / 2 - 1] + s[s.Count / 2]) / 2; }
        long bytes = sizes.Sum() * sizeof(float);
        double busFactor = 2.0 * (world.Size - 1) / world.Size; // bytes each rank sends in a ring allreduce, per message byte
        if (world.IsRoot)
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                benchmark = "gradient allreduce", model = Path.GetFileName(modelPath), ranks = world.Size, local_ranks = world.Launch.LocalSize,
                parameters = sizes.Sum(), tensors = sizes.Length, megabytes = Math.Round(bytes / 1048576.0, 1), iters,
                training_buckets_ms_median = Math.Round(Median(training), 2), training_buckets_ms_min = Math.Round(training.Min(), 2),
                training_allreduces = plan.Allreduces, tensors_of_4mb_or_more = sizes.Count(n => n * sizeof(float) >= GradientBuckets.DefaultBucketBytes),
                per_parameter_ms_median = Math.Round(Median(perParameter), 2), per_parameter_ms_min = Math.Round(perParameter.Min(), 2),
                fused_ms_median = Math.Round(Median(whole), 2), fused_ms_min = Math.Round(whole.Min(), 2),
                buckets_4mb_ms_median = Math.Round(Median(buckets4), 2), buckets_16mb_ms_median = Math.Round(Median(buckets16), 2),
                one_double_us_median = Math.Round(Median(latency) * 1000, 1),
                fused_bus_gbit_s = Math.Round(busFactor * bytes * 8 / (Median(whole) / 1000) / 1e9, 1),
            }));
        return 0;
    }

    private static float[] Filled(int n, int rank)
    {
        var a = new float[n];
        Array.Fill(a, 1e-3f * (rank + 1));
        return a;
    }
}
