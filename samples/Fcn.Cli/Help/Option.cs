namespace Fcn.Cli.Help;

/// <summary>
/// One flag of a command: <c>--name VALUE</c>, or a switch when <see cref="Value"/> is null. The one definition the
/// parser (which names are switches), the usage lines and <c>--help</c> are made from.
/// </summary>
/// <param name="Name">The flag without its dashes.</param>
/// <param name="Value">The value's placeholder (<c>N</c>, <c>&lt;folder&gt;</c>, <c>WxH</c>); null for a switch.</param>
/// <param name="Description">What it does, in a few words.</param>
/// <param name="Default">What applies when the flag is left out; null when nothing needs saying.</param>
/// <param name="Unit">The unit of the value (pixels, degrees, …); null when it has none.</param>
internal sealed record Option(string Name, string? Value, string Description, string? Default = null, string? Unit = null)
{
    public bool IsSwitch => Value is null;

    /// <summary><c>--name VALUE</c> or <c>--name</c>.</summary>
    public string Synopsis => Value is null ? "--" + Name : $"--{Name} {Value}";

    /// <summary>A switch: <c>--name</c>, described.</summary>
    public static Option Switch(string name, string description) => new(name, null, description);
}
