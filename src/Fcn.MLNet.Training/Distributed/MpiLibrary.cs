using System.Runtime.InteropServices;

namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// The few MPI calls data-parallel training needs, bound at run time to the process's MPI library through
/// <see cref="NativeLibrary"/> and unmanaged function pointers, so no MPI library is needed unless one is used.
/// The two ABIs differ in their handles: OpenMPI's (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the
/// addresses of exported data symbols (<c>ompi_mpi_comm_world</c>, …) and <c>MPI_IN_PLACE</c> is <c>(void*)1</c>;
/// MPICH's are integer constants from its <c>mpi.h</c> and <c>MPI_IN_PLACE</c> is <c>(void*)-1</c>. Handles are passed as
/// pointer-sized integers (an int argument travels in the low half of the same register). Checked with OpenMPI 4.1.4
/// (<c>libmpi.so.40</c>) and MPICH 4.0.2 (<c>libmpich.so.12</c>); another library is refused by name.
/// </summary>
internal sealed unsafe class MpiLibrary
{
    /// <summary>MPI_THREAD_SERIALIZED: any thread may call, one at a time (the same value in OpenMPI and MPICH).</summary>
    private const int ThreadSerialized = 2;

    /// <summary>OpenMPI's soname.</summary>
    public const string OpenMpi = "libmpi.so.40";

    /// <summary>MPICH's soname.</summary>
    public const string Mpich = "libmpich.so.12";

    private readonly delegate* unmanaged<int*, int> _initialized;
    private readonly delegate* unmanaged<int*, int> _finalized;
    private readonly delegate* unmanaged<int*, nint, int, int*, int> _initThread;
    private readonly delegate* unmanaged<int> _finalize;
    private readonly delegate* unmanaged<nint, int*, int> _commRank;
    private readonly delegate* unmanaged<nint, int*, int> _commSize;
    private readonly delegate* unmanaged<void*, void*, int, nint, nint, nint, int> _allreduce;
    private readonly delegate* unmanaged<void*, int, nint, int, nint, int> _bcast;
    private readonly delegate* unmanaged<nint, int> _barrier;
    private readonly delegate* unmanaged<nint, int, int> _abort;

    private MpiLibrary(nint handle, string name)
    {
        Name = name;
        nint Export(string symbol) => NativeLibrary.TryGetExport(handle, symbol, out nint address)
            ? address
            : throw new DllNotFoundException($"{name} has no symbol {symbol}: it is not an MPI library.");
        _initialized = (delegate* unmanaged<int*, int>)Export("MPI_Initialized");
        _finalized = (delegate* unmanaged<int*, int>)Export("MPI_Finalized");
        _initThread = (delegate* unmanaged<int*, nint, int, int*, int>)Export("MPI_Init_thread");
        _finalize = (delegate* unmanaged<int>)Export("MPI_Finalize");
        _commRank = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_rank");
        _commSize = (delegate* unmanaged<nint, int*, int>)Export("MPI_Comm_size");
        _allreduce = (delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)Export("MPI_Allreduce");
        _bcast = (delegate* unmanaged<void*, int, nint, int, nint, int>)Export("MPI_Bcast");
        _barrier = (delegate* unmanaged<nint, int>)Export("MPI_Barrier");
        _abort = (delegate* unmanaged<nint, int, int>)Export("MPI_Abort");
        if (NativeLibrary.TryGetExport(handle, "ompi_mpi_comm_world", out nint commWorld))
        {
            Flavour = "OpenMPI";
            CommWorld = commWorld;
            Float = Export("ompi_mpi_float");
            Double = Export("ompi_mpi_double");
            Int64 = Export("ompi_mpi_int64_t");
            Sum = Export("ompi_mpi_op_sum");
            InPlace = 1;
            return;
        }
        var version = LibraryVersion((delegate* unmanaged<byte*, int*, int>)Export("MPI_Get_library_version"));
        if (!version.StartsWith("MPICH", StringComparison.Ordinal))
            throw new DllNotFoundException($"{name} is neither OpenMPI nor MPICH ({version.Split('\n')[0].Trim()}), the two MPI libraries this " +
                "binding knows the handles of: install openmpi-bin and libopenmpi-dev, or point FCN_MPI_LIBRARY at OpenMPI's libmpi.so.40.");
        // MPICH's mpi.h (4.0): integer handles.
        Flavour = "MPICH";
        CommWorld = 0x44000000;
        Float = 0x4c00040a;
        Double = 0x4c00080b;
        Int64 = 0x4c00083a;
        Sum = 0x58000003;
        InPlace = -1;
    }

    private static string LibraryVersion(delegate* unmanaged<byte*, int*, int> getVersion)
    {
        // MPI_MAX_LIBRARY_VERSION_STRING is 8192 in MPICH, 256 in OpenMPI; callable before MPI_Init.
        var buffer = new byte[8192];
        int length;
        fixed (byte* p = buffer) getVersion(p, &length);
        return System.Text.Encoding.ASCII.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length));
    }

    /// <summary>The library's path or soname.</summary>
    public string Name { get; }

    /// <summary>"OpenMPI" or "MPICH": which ABI's handles are used.</summary>
    public string Flavour { get; }

    public nint CommWorld { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Int64 { get; }
    public nint Sum { get; }
    public nint InPlace { get; }

    /// <summary>
    /// Loads the MPI library of <paramref name="launch"/>'s launcher: <c>FCN_MPI_LIBRARY</c> when set, else MPICH's
    /// for Hydra's <c>mpiexec</c>, OpenMPI's for <c>mpirun</c>, and OpenMPI's then MPICH's for <c>srun</c>.
    /// </summary>
    /// <exception cref="DllNotFoundException">No usable library: the message says what to install.</exception>
    public static MpiLibrary Load(MpiLaunch launch)
    {
        var names = Environment.GetEnvironmentVariable("FCN_MPI_LIBRARY") is { Length: > 0 } chosen ? new[] { chosen }
            : launch.Launcher.StartsWith("MPICH", StringComparison.Ordinal) ? new[] { Mpich }
            : launch.Launcher.StartsWith("OpenMPI", StringComparison.Ordinal) ? new[] { OpenMpi }
            : new[] { OpenMpi, Mpich };
        foreach (var name in names)
            // RTLD_GLOBAL matters: OpenMPI dlopens its plugins, which need libmpi's symbols.
            if (TryLoadGlobal(name, out nint handle)) return new MpiLibrary(handle, name);
        throw new DllNotFoundException($"This process was launched by {launch.Launcher} but no MPI library could be loaded (tried {string.Join(", ", names)}): " +
            "install OpenMPI (apt-get install openmpi-bin libopenmpi-dev) or MPICH (mpich libmpich-dev), or set FCN_MPI_LIBRARY to the library.");
    }

    private static bool TryLoadGlobal(string name, out nint handle)
    {
        const int RtldNow = 2, RtldGlobal = 0x100;
        handle = OperatingSystem.IsLinux() ? Dlopen(name, RtldNow | RtldGlobal) : 0;
        return handle != 0 || NativeLibrary.TryLoad(name, out handle);
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern nint Dlopen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    public bool Initialized() { int flag; Check(_initialized(&flag), "MPI_Initialized"); return flag != 0; }
    public bool Finalized() { int flag; Check(_finalized(&flag), "MPI_Finalized"); return flag != 0; }

    /// <summary>MPI_Init_thread(NULL, NULL, SERIALIZED); returns the thread level provided.</summary>
    public int InitThread() { int provided; Check(_initThread(null, 0, ThreadSerialized, &provided), "MPI_Init_thread"); return provided; }

    public void FinalizeMpi() => Check(_finalize(), "MPI_Finalize");
    public int Rank() { int r; Check(_commRank(CommWorld, &r), "MPI_Comm_rank"); return r; }
    public int Size() { int s; Check(_commSize(CommWorld, &s), "MPI_Comm_size"); return s; }
    public void Barrier() => Check(_barrier(CommWorld), "MPI_Barrier");
    public void Abort(int code) => _abort(CommWorld, code);

    /// <summary>In-place MPI_Allreduce(MPI_SUM) of <paramref name="count"/> elements of <paramref name="type"/>.</summary>
    public void AllreduceSumInPlace(void* buffer, int count, nint type) =>
        Check(_allreduce((void*)InPlace, buffer, count, type, Sum, CommWorld), "MPI_Allreduce");

    public void Broadcast(void* buffer, int count, nint type, int root) =>
        Check(_bcast(buffer, count, type, root, CommWorld), "MPI_Bcast");

    private static void Check(int code, string call)
    {
        // MPI_ERRORS_ARE_FATAL is the default handler, so a failing call normally never returns; this catches the rest.
        if (code != 0) throw new InvalidOperationException($"{call} failed with MPI error code {code}.");
    }
}
