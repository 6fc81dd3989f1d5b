using System.Diagnostics;

namespace Fcn.MLNet.Tests.Support;

/// <summary>Runs the built <c>fcn</c> command line in a process of its own.</summary>
internal static class FcnProcess
{
    public sealed record Result(int ExitCode, string StdOut, string StdErr);

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Fcn.MLNet.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Fcn.MLNet.sln not found above the test directory.");
    }

    public static string CliDll()
    {
        // The test assembly's own configuration folder (Debug/Release) selects the CLI build next to it.
        string config = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name;
        string dll = Path.Combine(RepoRoot(), "samples", "Fcn.Cli", "bin", config, "net10.0", "fcn.dll");
        if (!File.Exists(dll)) throw new FileNotFoundException($"CLI not built: {dll}");
        return dll;
    }

    public static Result Run(params string[] args) => RunWith(null, args);

    /// <summary>Runs with extra environment variables (e.g. TMPDIR).</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var p = Start(environment, args);
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(120_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"fcn {string.Join(' ', args)} did not finish in 120 s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the command and returns the running process (output redirected).</summary>
    public static Process Start(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(CliDll());
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return Process.Start(psi)!;
    }
}
