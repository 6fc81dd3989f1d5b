using System.Runtime.InteropServices;

namespace Fcn.Cli;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM as a cancellation: the first one asks the command to stop at the next safe point (a
/// file is never left half-written, temporary files are removed, training keeps its last checkpoint); a second one
/// ends the process at once.
/// </summary>
internal sealed class Interruption : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration[] _registrations;

    /// <summary>The exit code of an interrupted command (128 + SIGINT, as shells report it).</summary>
    public const int ExitCode = 130;

    public Interruption()
    {
        _registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(s => PosixSignalRegistration.Create(s, OnSignal)).ToArray();
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _source.Token;

    private void OnSignal(PosixSignalContext context)
    {
        if (_source.IsCancellationRequested) return; // the second signal: default handling ends the process
        context.Cancel = true;
        Console.Error.WriteLine("\nfcn: stopping at the next safe point (press Ctrl-C again to end at once)");
        _source.Cancel();
    }

    public void Dispose()
    {
        foreach (var r in _registrations) r.Dispose();
        _source.Dispose();
    }
}
