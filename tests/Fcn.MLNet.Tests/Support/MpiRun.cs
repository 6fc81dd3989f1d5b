using System.Diagnostics;

namespace Fcn.MLNet.Tests.Support;

/// <summary>
/// Runs the built <c>fcn</c> under OpenMPI's <c>mpirun</c> (as root it needs <c>--allow-run-as-root</c>; more ranks than
/// cores need <c>--oversubscribe</c>). A test that needs it is ignored, with the reason, only when mpirun is absent.
/// </summary>
internal static class MpiRun
{
    public static string? Mpirun() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(d => Path.Combine(d, "mpirun")).FirstOrDefault(File.Exists);

    /// <summary>Ignores the calling test when mpirun is not installed.</summary>
    public static void RequireMpirun()
    {
        if (Mpirun() is null)
            Assert.Ignore("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev; .ci/run installs it).");
    }

    /// <summary>Runs <c>mpirun -np <paramref name="ranks"/> dotnet fcn.dll args</c>; kills it after <paramref name="timeout"/>.</summary>
    public static FcnProcess.Result Run(int ranks, TimeSpan timeout, params string[] args) =>
        Launch(timeout, new[] { "-np", ranks.ToString(), "dotnet", FcnProcess.CliDll() }.Concat(args));

    /// <summary>One rank per argument list (mpirun's <c>-np 1 a : -np 1 b</c>): rank r runs <c>fcn</c> with <paramref name="perRank"/>[r].</summary>
    public static FcnProcess.Result RunEach(TimeSpan timeout, params string[][] perRank) =>
        Launch(timeout, perRank.SelectMany((args, r) => (r == 0 ? Array.Empty<string>() : new[] { ":" })
            .Concat(new[] { "-np", "1", "dotnet", FcnProcess.CliDll() }).Concat(args)));

    private static FcnProcess.Result Launch(TimeSpan timeout, IEnumerable<string> mpirunArgs)
    {
        RequireMpirun();
        var psi = new ProcessStartInfo(Mpirun()!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        var args = new[] { "--allow-run-as-root", "--oversubscribe" }.Concat(mpirunArgs).ToList();
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"mpirun {string.Join(' ', args)} did not finish in {timeout.TotalSeconds:F0} s (a hang)");
        }
        return new FcnProcess.Result(p.ExitCode, stdout.Result, stderr.Result);
    }
}
