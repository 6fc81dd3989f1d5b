using System.Diagnostics;
using System.Globalization;
using Fcn.MLNet.Training.Distributed;

namespace Fcn.Cli;

/// <summary>
/// Progress of a long command (predict, evaluate, train) with rate and ETA. On a terminal it is one bar on stderr,
/// redrawn in place (at most ten times a second); in logs and CI (stderr redirected, <c>TERM=dumb</c>, under MPI) it
/// is plain lines without escape codes, written by <see cref="Report"/> at most every <c>plainEvery</c>.
/// </summary>
internal sealed class ProgressLine
{
    private const int BarWidth = 24;
    private readonly string _label, _unit;
    private readonly TextWriter _error;
    private readonly TimeSpan _plainEvery;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan? _lastDraw, _lastPlain;
    private int _total, _start, _drawnWidth;

    /// <param name="label">What is going on (<c>predict</c>, <c>evaluate</c>).</param>
    /// <param name="total">How many units in all; 0 when unknown (no bar, no ETA).</param>
    /// <param name="unit">The plural unit (<c>images</c>, <c>iterations</c>).</param>
    /// <param name="plainEvery">Least time between two plain lines (zero: a line per report).</param>
    public ProgressLine(string label, int total, string unit, TimeSpan plainEvery, bool? interactive = null, TextWriter? error = null)
    {
        _label = label;
        _total = total;
        _unit = unit;
        _plainEvery = plainEvery;
        _error = error ?? Console.Error;
        Interactive = interactive ?? IsTerminal();
    }

    /// <summary>Whether the bar is drawn in place (a terminal), not written as plain lines.</summary>
    public bool Interactive { get; }

    /// <summary>Whether stderr is a terminal that understands carriage returns and erase-line.</summary>
    public static bool IsTerminal() =>
        !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("TERM") is not "dumb" && MpiLaunch.FromEnvironment() is null;

    /// <summary>Starts timing again (a new training stage) with a new total, <paramref name="startAt"/> units already done.</summary>
    public void Restart(int total, int startAt = 0)
    {
        Clear();
        _total = total;
        _start = startAt;
        _clock.Restart();
        _lastDraw = _lastPlain = null;
    }

    /// <summary>"3.2 images/s, ETA 0:01:05" for <paramref name="done"/> units so far.</summary>
    public string Speed(int done)
    {
        double seconds = _clock.Elapsed.TotalSeconds, rate = seconds > 0 ? Math.Max(0, done - _start) / seconds : 0;
        string text = rate >= 1 || rate == 0 ? $"{rate.ToString("F1", CultureInfo.InvariantCulture)} {_unit}/s"
            : $"{(1 / rate).ToString("F1", CultureInfo.InvariantCulture)} s/{_unit.TrimEnd('s')}";
        if (_total > 0 && rate > 0 && done < _total) text += $", ETA {Clock(TimeSpan.FromSeconds((_total - done) / rate))}";
        return text;
    }

    /// <summary>
    /// Reports <paramref name="done"/> units: redraws the bar on a terminal; otherwise writes a plain line when
    /// <c>plainEvery</c> has passed since the last one, and always for the first and the last unit.
    /// </summary>
    public void Report(int done, string? detail = null)
    {
        var now = _clock.Elapsed;
        if (Interactive)
        {
            if (now - _lastDraw < TimeSpan.FromMilliseconds(100) && done != _total) return; // null compares false: the first is drawn
            _lastDraw = now;
            string line = $"{_label} {Bar(done)} {done}{(_total > 0 ? "/" + _total : "")} {_unit}  {Speed(done)}" + (detail is null ? "" : "  " + detail);
            int width = Math.Max(20, SafeWindowWidth() - 1);
            if (line.Length > width) line = line[..width];
            _error.Write("\r" + line.PadRight(_drawnWidth));
            _drawnWidth = line.Length;
            return;
        }
        if (now - _lastPlain < _plainEvery && done != 1 && done != _total) return;
        _lastPlain = now;
        _error.WriteLine($"{_label}: {done}{(_total > 0 ? "/" + _total : "")} {_unit}" + (detail is null ? "" : $" ({detail})") + $", {Speed(done)}");
    }

    /// <summary>Writes a line that stays (on <paramref name="writer"/>), clearing the bar first on a terminal.</summary>
    public void WriteLine(TextWriter writer, string line)
    {
        Clear();
        writer.WriteLine(line);
    }

    /// <summary>Ends the bar's line on a terminal, so what follows starts on a line of its own.</summary>
    public void Done()
    {
        if (Interactive && _drawnWidth > 0) _error.WriteLine();
        _drawnWidth = 0;
    }

    private void Clear()
    {
        if (!Interactive || _drawnWidth == 0) return;
        _error.Write("\r" + new string(' ', _drawnWidth) + "\r");
        _drawnWidth = 0;
    }

    private string Bar(int done)
    {
        if (_total <= 0) return "";
        int filled = (int)Math.Round(BarWidth * Math.Clamp(done / (double)_total, 0, 1));
        return "[" + new string('#', filled) + new string('.', BarWidth - filled) + "]";
    }

    private static string Clock(TimeSpan t) => $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}";

    private static int SafeWindowWidth()
    {
        try { return Console.WindowWidth > 0 ? Console.WindowWidth : 120; }
        catch (IOException) { return 120; }
    }
}
