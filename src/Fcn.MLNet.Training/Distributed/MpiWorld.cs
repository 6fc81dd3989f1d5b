using System.Runtime.InteropServices;

namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// The processes of one MPI job (<c>MPI_COMM_WORLD</c>) and the collectives data-parallel training and distributed
/// scoring use: sum-allreduce, broadcast, barrier, abort. <see cref="Current"/> is null in a process that was not
/// launched as one of several ranks (plain <c>fcn train</c>): then no MPI library is loaded and nothing changes.
/// Under <c>mpirun</c> or <c>srun</c> it initialises MPI on first use (<c>MPI_Init_thread</c>, serialised calls) and
/// finalises it when the process exits.
/// </summary>
/// <example><code>
/// if (MpiWorld.Current is { IsRoot: false }) return; // only rank 0 writes files
/// </code></example>
public sealed unsafe class MpiWorld
{
    private static readonly Lazy<MpiWorld?> Instance = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly MpiLibrary _mpi;
    private readonly object _gate = new();

    private MpiWorld(MpiLibrary mpi, MpiLaunch launch)
    {
        _mpi = mpi;
        Launch = launch;
        Rank = mpi.Rank();
        Size = mpi.Size();
        if (Rank != launch.Rank || Size != launch.Size)
            throw new InvalidOperationException($"{launch.Launcher} said rank {launch.Rank} of {launch.Size} but {mpi.Name} says rank {Rank} of {Size}: " +
                "the launcher and the MPI library do not belong together (srun needs --mpi=pmix for OpenMPI).");
    }

    /// <summary>The world this process belongs to, or null when it runs alone (no launcher, or a world of one).</summary>
    /// <exception cref="DllNotFoundException">Launched by MPI, but no OpenMPI library could be loaded.</exception>
    public static MpiWorld? Current => Instance.Value;

    /// <summary>This process's rank, 0 to <see cref="Size"/> − 1.</summary>
    public int Rank { get; }

    /// <summary>Number of processes (at least 2).</summary>
    public int Size { get; }

    /// <summary>Rank 0: the one process that writes logs, checkpoints, curves and models.</summary>
    public bool IsRoot => Rank == 0;

    /// <summary>What the launcher's environment said (local process count, launcher name).</summary>
    public MpiLaunch Launch { get; }

    /// <summary>The MPI library in use: "OpenMPI" or "MPICH", and its file.</summary>
    public string Library => $"{_mpi.Flavour} ({_mpi.Name})";

    /// <summary>
    /// ONNX Runtime threads for this rank (at least 1): the cores the launcher bound it to (mpirun binds to cores or
    /// sockets, srun to <c>--cpus-per-task</c>), or, when it runs unbound, the machine's cores shared among the ranks on it.
    /// </summary>
    public int ThreadsPerRank => Math.Max(1, IsBound() ? Environment.ProcessorCount : Environment.ProcessorCount / Launch.LocalSize);

    private static bool IsBound()
    {
        // Environment.ProcessorCount already counts only the CPUs of the affinity mask; fewer than online means bound.
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/sys/devices/system/cpu/online")) return false;
            int online = 0;
            foreach (var range in File.ReadAllText("/sys/devices/system/cpu/online").Trim().Split(','))
            {
                var ends = range.Split('-');
                online += ends.Length == 2 ? int.Parse(ends[1]) - int.Parse(ends[0]) + 1 : 1;
            }
            using var self = System.Diagnostics.Process.GetCurrentProcess();
            int allowed = System.Numerics.BitOperations.PopCount((ulong)(long)self.ProcessorAffinity);
            return allowed < online && online <= 64; // the mask reports at most 64 CPUs
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Elementwise sum over all ranks, in place; every rank receives the same result.</summary>
    public void AllreduceSum(Span<float> values) => Allreduce(MemoryMarshal.AsBytes(values), sizeof(float), _mpi.Float);

    /// <inheritdoc cref="AllreduceSum(Span{float})"/>
    public void AllreduceSum(Span<double> values) => Allreduce(MemoryMarshal.AsBytes(values), sizeof(double), _mpi.Double);

    /// <inheritdoc cref="AllreduceSum(Span{float})"/>
    public void AllreduceSum(Span<long> values) => Allreduce(MemoryMarshal.AsBytes(values), sizeof(long), _mpi.Int64);

    /// <summary>Copies <paramref name="values"/> of rank <paramref name="root"/> into every rank's buffer.</summary>
    public void Broadcast(Span<float> values, int root = 0) => Broadcast(MemoryMarshal.AsBytes(values), sizeof(float), _mpi.Float, root);

    /// <inheritdoc cref="Broadcast(Span{float}, int)"/>
    public void Broadcast(Span<long> values, int root = 0) => Broadcast(MemoryMarshal.AsBytes(values), sizeof(long), _mpi.Int64, root);

    /// <summary>Waits until every rank has arrived.</summary>
    public void Barrier()
    {
        lock (_gate) _mpi.Barrier();
    }

    /// <summary>
    /// Ends the whole job: writes <paramref name="message"/> (prefixed with this rank) to standard error and calls
    /// <c>MPI_Abort</c>, so the launcher stops every rank instead of leaving them waiting in a collective.
    /// </summary>
    public void Abort(string message, int exitCode = 1)
    {
        Console.Error.WriteLine($"[rank {Rank} of {Size}] {message}");
        Console.Error.Flush();
        _mpi.Abort(exitCode);
        Environment.Exit(exitCode); // MPI_Abort does not return; this is only a guard
    }

    // Collectives are chunked so that each call's element count fits MPI's int.
    private const int MaxChunkBytes = 1 << 30;

    private void Allreduce(Span<byte> bytes, int elementSize, nint type)
    {
        lock (_gate)
            fixed (byte* p = bytes)
                for (int start = 0; start < bytes.Length; start += MaxChunkBytes)
                    _mpi.AllreduceSumInPlace(p + start, Math.Min(MaxChunkBytes, bytes.Length - start) / elementSize, type);
    }

    private void Broadcast(Span<byte> bytes, int elementSize, nint type, int root)
    {
        lock (_gate)
            fixed (byte* p = bytes)
                for (int start = 0; start < bytes.Length; start += MaxChunkBytes)
                    _mpi.Broadcast(p + start, Math.Min(MaxChunkBytes, bytes.Length - start) / elementSize, type, root);
    }

    private static MpiWorld? Create()
    {
        if (MpiLaunch.FromEnvironment() is not { } launch) return null;
        var mpi = MpiLibrary.Load(launch);
        if (!mpi.Initialized()) mpi.InitThread();
        var world = new MpiWorld(mpi, launch);
        // mpirun counts a rank that exits without MPI_Finalize as failed.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            lock (world._gate)
                if (!mpi.Finalized()) mpi.FinalizeMpi();
        };
        return world;
    }
}
