using System.Diagnostics;

namespace Fcn.MLNet.Tests.Support;

/// <summary>
/// Runs <c>dotnet</c> (or a program) as a consumer would from a shell: no build servers left behind, no MSBuild
/// settings inherited from the <c>dotnet test</c> that runs the tests, a time limit, and the output kept for failures.
/// </summary>
internal static class DotnetCommand
{
    public sealed record Result(string Command, int ExitCode, string StdOut, string StdErr, TimeSpan Elapsed)
    {
        /// <summary>The command, its exit code and the tail of its output: a failure message that says what happened.</summary>
        public override string ToString() =>
            $"`{Command}` exited {ExitCode} after {Elapsed.TotalSeconds:F0} s\n--- stdout (tail) ---\n{Tail(StdOut)}\n--- stderr (tail) ---\n{Tail(StdErr)}";

        private static string Tail(string s) => s.Length <= 6000 ? s : "…" + s[^6000..];
    }

    /// <summary>Runs <paramref name="program"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>.</summary>
    public static Result Run(string program, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // dotnet test sets MSBuild variables for its own build; a consumer's build must not see them.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
            psi.Environment.Remove(key);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1"; // no MSBuild nodes outlive the command (they would hold its pipes)
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["UseSharedCompilation"] = "false";
        foreach (var (k, v) in environment) psi.Environment[k] = v;
        string command = $"{Path.GetFileName(program)} {string.Join(' ', args)}";
        var clock = Stopwatch.StartNew();
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit((int)timeout.TotalMilliseconds))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new Result(command + $" (killed after {timeout.TotalSeconds:F0} s)", -1, stdout.Result, stderr.Result, clock.Elapsed);
        }
        return new Result(command, p.ExitCode, stdout.Result, stderr.Result, clock.Elapsed);
    }
}
