namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// The MPI world a process was launched into, as its launcher's environment tells it, read without loading any MPI
/// library: OpenMPI's <c>mpirun</c> (<c>OMPI_COMM_WORLD_RANK/SIZE/LOCAL_SIZE</c>), MPICH's Hydra (<c>PMI_RANK/SIZE</c>) or
/// Slurm's <c>srun</c> (<c>SLURM_PROCID</c>, <c>SLURM_STEP_NUM_TASKS</c>, <c>SLURM_STEP_TASKS_PER_NODE</c>: step variables,
/// so a batch script's own shell, which has <c>SLURM_NTASKS</c> but is no MPI rank, is not taken for one). A world of one
/// process is no world: <see cref="FromEnvironment"/> returns null and nothing about MPI is touched.
/// </summary>
/// <param name="Rank">This process's rank, 0 to Size − 1.</param>
/// <param name="Size">Processes in the world (at least 2).</param>
/// <param name="LocalSize">Processes on this machine (shares its cores).</param>
/// <param name="Launcher">Which environment said so, for messages.</param>
public sealed record MpiLaunch(int Rank, int Size, int LocalSize, string Launcher)
{
    /// <summary>The launch described by the current process's environment, or null when it was not launched as one of ≥ 2 ranks.</summary>
    public static MpiLaunch? FromEnvironment() => From(Environment.GetEnvironmentVariable);

    /// <summary>The launch described by <paramref name="variable"/> (a lookup of environment variables).</summary>
    /// <exception cref="InvalidOperationException">The variables are present but inconsistent (rank outside the world).</exception>
    public static MpiLaunch? From(Func<string, string?> variable)
    {
        var launch = Read(variable, "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_SIZE", "OpenMPI mpirun")
            ?? Read(variable, "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS", "MPICH mpiexec")
            ?? Read(variable, "SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_STEP_TASKS_PER_NODE", "Slurm srun");
        return launch is { Size: > 1 } ? launch : null;
    }

    private static MpiLaunch? Read(Func<string, string?> variable, string rankName, string sizeName, string localSizeName, string launcher)
    {
        if (variable(rankName) is not { } rankText || variable(sizeName) is not { } sizeText) return null;
        if (!int.TryParse(rankText, out int rank) || !int.TryParse(sizeText, out int size) || size < 1 || rank < 0 || rank >= size)
            throw new InvalidOperationException($"{launcher}: {rankName}={rankText} and {sizeName}={sizeText} do not describe a rank in a world of processes.");
        // SLURM_STEP_TASKS_PER_NODE may read "2(x3)"; its leading number is the tasks on this node's kind.
        string? localText = variable(localSizeName);
        string digits = new((localText ?? "").TakeWhile(char.IsDigit).ToArray());
        int local = int.TryParse(digits, out int l) && l >= 1 ? Math.Min(l, size) : size;
        return new MpiLaunch(rank, size, local, launcher);
    }
}
