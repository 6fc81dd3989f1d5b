using System.Text;
using System.Text.RegularExpressions;

namespace Fcn.Cli.Help;

/// <summary>
/// A command of the <c>fcn</c> tool: its name, one line on what it does, the forms it is called in and every flag it
/// takes. Usage lines, <c>--help</c> and the parser's list of switches are all made from this.
/// </summary>
/// <param name="Name">The command word (<c>predict</c>).</param>
/// <param name="Summary">What the command does, one line.</param>
/// <param name="Forms">
/// The ways to call it, each a template naming required flags as <c>{name}</c> (rendered <c>--name VALUE</c>);
/// parentheses and <c>|</c> show alternatives. Every name must be one of <paramref name="Options"/>.
/// </param>
/// <param name="Options">Every flag, in the order help lists them.</param>
/// <param name="Notes">Lines printed after the flags (outputs, special cases); may be empty.</param>
internal sealed partial record CommandDefinition(string Name, string Summary, string[] Forms, IReadOnlyList<Option> Options, string[] Notes)
{
    /// <summary>The flags that take no value (the parser reads the next word as a value for every other flag).</summary>
    public IReadOnlySet<string> Switches => Options.Where(o => o.IsSwitch).Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>The usage lines: one per form, each followed by <c>[options]</c> (the other flags, listed by help).</summary>
    public string Usage
    {
        get
        {
            string prefix = $"fcn {Name} ";
            return string.Join("\n", Forms.Select(f => prefix + Render(f) + " [options]"));
        }
    }

    /// <summary>The whole <c>fcn NAME --help</c> text.</summary>
    public string HelpText
    {
        get
        {
            var text = new StringBuilder();
            text.Append("fcn ").Append(Name).Append(": ").AppendLine(Summary).AppendLine().AppendLine("usage:");
            foreach (var line in Usage.Split('\n')) text.Append("  ").AppendLine(line);
            text.AppendLine().AppendLine("options:");
            int width = Math.Min(Options.Max(o => o.Synopsis.Length), 34);
            foreach (var o in Options)
            {
                string detail = o.Description
                    + (o.Unit is null ? "" : $" ({o.Unit})")
                    + (o.Default is null ? "" : $" [default: {o.Default}]");
                text.Append("  ").Append(o.Synopsis.PadRight(width));
                if (o.Synopsis.Length > width) text.AppendLine().Append(' ', width + 2);
                text.Append("  ").AppendLine(detail);
            }
            if (Notes.Length > 0)
            {
                text.AppendLine();
                foreach (var n in Notes) text.AppendLine(n);
            }
            return text.ToString().TrimEnd();
        }
    }

    /// <summary>Checks that every form names declared flags and that no flag is declared twice.</summary>
    public void Validate()
    {
        var duplicate = Options.GroupBy(o => o.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidOperationException($"fcn {Name}: --{duplicate.Key} is declared twice");
        foreach (var form in Forms) Render(form);
    }

    private string Render(string form) => Placeholder().Replace(form, m =>
        Options.FirstOrDefault(o => o.Name == m.Groups[1].Value)?.Synopsis
        ?? throw new InvalidOperationException($"fcn {Name}: the usage names --{m.Groups[1].Value}, which is not one of its flags"));

    [GeneratedRegex(@"\{([a-z0-9-]+)\}")]
    private static partial Regex Placeholder();
}
