using Fcn.MLNet.Training.Distributed;

namespace Fcn.MLNet.Tests.Distributed;

/// <summary>The launcher's environment says whether a process is an MPI rank, without loading any MPI library.</summary>
public class MpiLaunchTests
{
    private static MpiLaunch? From(params (string Name, string Value)[] vars) =>
        MpiLaunch.From(name => vars.FirstOrDefault(v => v.Name == name).Value);

    [Test]
    public void No_launcher_or_a_world_of_one_is_no_world()
    {
        Assert.That(From(), Is.Null);
        Assert.That(From(("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "1")), Is.Null);
        Assert.That(From(("SLURM_PROCID", "0"), ("SLURM_NTASKS", "4")), Is.Null, "a batch script's shell is not a rank (no step variables)");
    }

    [Test]
    public void OpenMPI_Hydra_and_srun_environments_are_read()
    {
        Assert.That(From(("OMPI_COMM_WORLD_RANK", "1"), ("OMPI_COMM_WORLD_SIZE", "4"), ("OMPI_COMM_WORLD_LOCAL_SIZE", "2")),
            Is.EqualTo(new MpiLaunch(1, 4, 2, "OpenMPI mpirun")));
        Assert.That(From(("PMI_RANK", "2"), ("PMI_SIZE", "3")), Is.EqualTo(new MpiLaunch(2, 3, 3, "MPICH mpiexec")));
        Assert.That(From(("SLURM_PROCID", "5"), ("SLURM_STEP_NUM_TASKS", "8"), ("SLURM_STEP_TASKS_PER_NODE", "4(x2)")),
            Is.EqualTo(new MpiLaunch(5, 8, 4, "Slurm srun")));
    }

    [Test]
    public void A_rank_outside_its_world_is_an_error_naming_the_variables()
    {
        var e = Assert.Throws<InvalidOperationException>(() => From(("OMPI_COMM_WORLD_RANK", "4"), ("OMPI_COMM_WORLD_SIZE", "4")));
        Assert.That(e!.Message, Does.Contain("OMPI_COMM_WORLD_RANK=4").And.Contain("OMPI_COMM_WORLD_SIZE=4"));
    }

    [Test]
    public void A_plain_process_has_no_world_and_loads_no_MPI_library()
    {
        if (MpiLaunch.FromEnvironment() is not null) Assert.Ignore("the tests themselves run under an MPI launcher");
        Assert.That(MpiWorld.Current, Is.Null);
        using var self = System.Diagnostics.Process.GetCurrentProcess();
        Assert.That(self.Modules.Cast<System.Diagnostics.ProcessModule>().Select(m => m.ModuleName), Has.None.StartsWith("libmpi"));
    }
}
