using Fcn.Cli;
using Fcn.Cli.Commands;
using Fcn.Cli.Help;
using Fcn.MLNet.Training.Distributed;

var commands = new Dictionary<string, (Func<CommandLine, CancellationToken, int> Run, CommandDefinition Definition)>(StringComparer.Ordinal)
{
    ["predict"] = (PredictCommand.Run, PredictCommand.Definition),
    ["evaluate"] = (EvaluateCommand.Run, EvaluateCommand.Definition),
    ["import"] = (ImportCommand.Run, ImportCommand.Definition),
    ["quantize"] = (QuantizeCommand.Run, QuantizeCommand.Definition),
    ["convolutionalize"] = (ConvolutionalizeCommand.Run, ConvolutionalizeCommand.Definition),
    ["build"] = (BuildCommand.Run, BuildCommand.Definition),
    ["train"] = (TrainCommand.Run, TrainCommand.Definition),
};
foreach (var c in commands.Values) c.Definition.Validate(); // a usage line naming an undeclared flag is a bug: fail at once
string help = ToolHelp.Text(commands.Values.Select(c => c.Definition));
static string Usage(CommandDefinition d) => $"usage:\n  {d.Usage.Replace("\n", "\n  ")}\n(fcn {d.Name} --help lists every flag with its default)";

if (args is ["--version"])
{
    Console.WriteLine(ToolVersion.Informational);
    return 0;
}
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(help);
    return args.Length == 0 ? 2 : 0;
}
if (args.Length > 1 && args.Skip(1).Any(a => a is "-h" or "--help"))
{
    if (!commands.TryGetValue(args[0], out var asked))
    {
        Console.Error.WriteLine($"fcn: unknown command '{args[0]}'\n{help}");
        return 2;
    }
    Console.WriteLine(asked.Definition.HelpText);
    return 0;
}
if (!commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"fcn: unknown command '{args[0]}'\n{help}");
    return 2;
}
// Under mpirun/srun (several ranks): train, predict and evaluate split the work; the other commands write one file
// and would race. Only rank 0 speaks on standard output; errors end the whole job (MPI_Abort) with their message.
var launch = MpiLaunch.FromEnvironment();
if (launch is not null && args[0] is not ("train" or "predict" or "evaluate"))
{
    Console.Error.WriteLine($"fcn {args[0]}: does not run under MPI ({launch.Launcher}, {launch.Size} ranks); run it once, without mpirun or srun");
    return 2;
}
MpiWorld? world = null;
if (launch is not null)
{
    // mpirun gives ranks a pseudo-terminal, which .NET's console would set up for keys (escape codes in the job's output).
    Environment.SetEnvironmentVariable("TERM", "dumb");
    try { world = MpiWorld.Current; }
    catch (Exception e) when (e is DllNotFoundException or InvalidOperationException)
    {
        Console.Error.WriteLine($"fcn {args[0]}: {e.Message}");
        return 1;
    }
    if (world is { IsRoot: false }) Console.SetOut(TextWriter.Null);
}
using var temp = ProcessTempFolder.Enter();
using var interruption = new Interruption();
try
{
    return command.Run(new CommandLine(args.Skip(1), command.Definition), interruption.Token);
}
catch (OperationCanceledException) when (interruption.Token.IsCancellationRequested)
{
    Console.Error.WriteLine($"fcn {args[0]}: interrupted");
    return Interruption.ExitCode;
}
catch (UsageException e)
{
    if (world is not null) world.Abort($"fcn {args[0]}: {e.Message}", 2);
    Console.Error.WriteLine($"fcn {args[0]}: {e.Message}\n{Usage(command.Definition)}");
    return 2;
}
catch (Exception e)
{
    // One clear line for the user; the stack trace only on request.
    // The innermost message, whole where it explains itself over a few lines (resume differences), else its first line.
    var lines = Innermost(e).Message.Split('\n');
    string message = $"fcn {args[0]}: " + string.Join("\n", lines.Take(lines.Length <= 12 ? lines.Length : 1)).Trim();
    if (Environment.GetEnvironmentVariable("FCN_DEBUG") == "1") Console.Error.WriteLine(e);
    // The other ranks may be waiting for this one in a collective: end them all, with this message.
    if (world is not null) world.Abort(message);
    Console.Error.WriteLine(message);
    return 1;
}

static Exception Innermost(Exception e)
{
    // ML.NET wraps errors raised while scoring (e.g. a missing image) — report the one that says what happened.
    while (e.InnerException is not null && e is InvalidOperationException or System.Reflection.TargetInvocationException) e = e.InnerException;
    return e;
}
