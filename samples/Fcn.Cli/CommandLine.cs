using System.Globalization;
using Fcn.Cli.Help;

namespace Fcn.Cli;

/// <summary>Bad command-line usage: printed with the usage text, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// Parsed <c>--name value</c> options and <c>--flag</c> switches of one command, as its
/// <see cref="CommandDefinition"/> declares them. Reading marks an option used, and <see cref="RejectUnknown"/>
/// reports anything the command did not read. Reading a flag the definition does not declare is a bug (help would
/// not list it): it throws.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);
    private readonly HashSet<string> _declared;

    internal CommandLine(IEnumerable<string> args, CommandDefinition definition)
    {
        _declared = definition.Options.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var flags = definition.Switches;
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}'");
            string name = arg[2..];
            string? value = null;
            if (!flags.Contains(name))
            {
                if (!e.MoveNext() || e.Current.StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"--{name} needs a value");
                value = e.Current;
            }
            if (!_values.TryAdd(name, value)) throw new UsageException($"--{name} given twice");
        }
    }

    public bool Has(string name)
    {
        if (!_declared.Contains(name)) throw new InvalidOperationException($"--{name} is read but not declared in the command's definition (its help would not list it)");
        _read.Add(name);
        return _values.ContainsKey(name);
    }

    public bool Flag(string name) => Has(name);

    public string? Optional(string name) => Has(name) ? _values[name] : null;

    public string Required(string name) => Optional(name) ?? throw new UsageException($"--{name} is required");

    public int? OptionalInt(string name) => Optional(name) is { } s ? ParseInt(name, s) : null;

    public int RequiredInt(string name) => ParseInt(name, Required(name));

    /// <summary>The required <c>--num-classes</c>, 1 to the evaluator's limit.</summary>
    public int NumberOfClasses()
    {
        int classes = RequiredInt("num-classes");
        int max = Fcn.MLNet.Evaluation.SegmentationConfusionMatrix.MaxClasses;
        if (classes is < 1 || classes > max) throw new UsageException($"--num-classes must be 1 to {max}, got {classes}");
        return classes;
    }

    public double? OptionalDouble(string name) =>
        Optional(name) is { } s
            ? double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{name}: '{s}' is not a number")
            : null;

    public float? OptionalFloat(string name) => (float?)OptionalDouble(name);


    /// <summary>Throws for any option given but never read by the command.</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0) throw new UsageException($"unknown option --{unknown[0]}");
    }

    private static int ParseInt(string name, string s) =>
        int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new UsageException($"--{name}: '{s}' is not an integer");
}
