using System.Text;

namespace Fcn.Cli.Help;

/// <summary><c>fcn --help</c>: the commands with their one-line summaries, the global flags and the exit codes.</summary>
internal static class ToolHelp
{
    /// <summary>What each exit code means (README.md lists the same).</summary>
    public static readonly (int Code, string Meaning)[] ExitCodes =
    {
        (0, "success"),
        (1, "failure: one line on stderr says what and where (FCN_DEBUG=1 adds the stack trace)"),
        (2, "bad usage: the message and the command's usage on stderr"),
        (ImageScreening.SkippedExitCode, "finished, but --skip-bad left out bad images (listed on stderr)"),
        (Interruption.ExitCode, "interrupted by Ctrl-C or SIGTERM (stopped at a safe point; train keeps its checkpoint)"),
    };

    public static string Text(IEnumerable<CommandDefinition> commands)
    {
        var list = commands.ToList();
        int width = list.Max(c => c.Name.Length);
        var text = new StringBuilder("fcn: Fully Convolutional Networks for semantic segmentation (Fcn.MLNet, ML.NET, ONNX Runtime)\n\n");
        text.AppendLine("usage:\n  fcn <command> [options]\n  fcn <command> --help   the command's flags, with defaults and units\n  fcn --version\n\ncommands:");
        foreach (var c in list) text.Append("  ").Append(c.Name.PadRight(width)).Append("  ").AppendLine(c.Summary);
        text.AppendLine("\nSizes are WIDTHxHEIGHT in pixels (--crop 480x360 is 480 wide, 360 high); --tile PX is a PX×PX square.");
        text.AppendLine("\nexit codes:");
        foreach (var (code, meaning) in ExitCodes) text.Append("  ").Append(code.ToString().PadLeft(3)).Append("  ").AppendLine(meaning);
        return text.ToString().TrimEnd();
    }
}
