using System.Diagnostics;

namespace Fcn.MLNet.Tests.Support;

/// <summary>
/// Runs the built <c>fcn</c> under OpenMPI's <c>mpirun</c> (as root it needs <c>--allow-run-as-root</c>; more ranks than
/// cores need <c>--oversubscribe</c>). A test that needs it is ignored, with the reason, only when mpirun is absent.
/// </summary>
internal static class MpiRun
{
    public static string? Mpirun() => OnPath("mpirun");

    private static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    /// <summary>
    /// Runs <c>mpiexec.mpich -n <paramref name="ranks"/> dotnet fcn.dll args</c> (MPICH's Hydra launcher); ignores the
    /// calling test where MPICH is not installed (CI installs OpenMPI only).
    /// </summary>
    public static FcnProcess.Result RunMpich(int ranks, TimeSpan timeout, params string[] args)
    {
        string mpiexec = OnPath("mpiexec.mpich") ?? Ignore("MPICH is not installed (apt-get install mpich libmpich-dev); OpenMPI is tested in CI");
        return Launch(mpiexec, timeout, new[] { "-n", ranks.ToString(), "dotnet", FcnProcess.CliDll() }.Concat(args));
    }

    private static string Ignore(string reason)
    {
        Assert.Ignore(reason);
        return "";
    }

    /// <summary>Ignores the calling test when mpirun is not installed.</summary>
    public static void RequireMpirun()
    {
        if (Mpirun() is null)
            Assert.Ignore("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev; .ci/run installs it).");
    }

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/> dotnet fcn.dll args</c>; kills it after <paramref name="timeout"/>.</summary>
    public static FcnProcess.Result Run(int ranks, TimeSpan timeout, params string[] args) =>
        LaunchOpenMpi(timeout, new[] { "-np", ranks.ToString(), "dotnet", FcnProcess.CliDll() }.Concat(args));

    /// <summary>One rank per argument list (mpirun's <c>-np 1 a : -np 1 b</c>): rank r runs <c>fcn</c> with <paramref name="perRank"/>[r].</summary>
    public static FcnProcess.Result RunEach(TimeSpan timeout, params string[][] perRank) =>
        LaunchOpenMpi(timeout, perRank.SelectMany((args, r) => (r == 0 ? Array.Empty<string>() : new[] { ":" })
            .Concat(new[] { "-np", "1", "dotnet", FcnProcess.CliDll() }).Concat(args)));

    private static FcnProcess.Result LaunchOpenMpi(TimeSpan timeout, IEnumerable<string> mpirunArgs)
    {
        RequireMpirun();
        return Launch(Mpirun()!, timeout, new[] { "--allow-run-as-root", "--oversubscribe" }.Concat(mpirunArgs));
    }

    private static FcnProcess.Result Launch(string launcher, TimeSpan timeout, IEnumerable<string> launcherArgs)
    {
        var psi = new ProcessStartInfo(launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var args = launcherArgs.ToList();
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{Path.GetFileName(launcher)} {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:F0} s (a hang)");
        }
        return new FcnProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
