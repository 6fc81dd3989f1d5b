using System.Reflection;
using Fcn.Cli;
using Fcn.Cli.Commands;
using Fcn.MLNet.Training.Distributed;

var commands = new Dictionary<string, (Func<CommandLine, CancellationToken, int> Run, string[] Flags, string Usage)>(StringComparer.Ordinal)
{
    ["predict"] = (PredictCommand.Run, PredictCommand.Flags, PredictCommand.Usage),
    ["evaluate"] = (EvaluateCommand.Run, EvaluateCommand.Flags, EvaluateCommand.Usage),
    ["import"] = (ImportCommand.Run, ImportCommand.Flags, ImportCommand.Usage),
    ["quantize"] = (QuantizeCommand.Run, QuantizeCommand.Flags, QuantizeCommand.Usage),
    ["convolutionalize"] = (ConvolutionalizeCommand.Run, ConvolutionalizeCommand.Flags, ConvolutionalizeCommand.Usage),
    ["build"] = (BuildCommand.Run, BuildCommand.Flags, BuildCommand.Usage),
    ["train"] = (TrainCommand.Run, TrainCommand.Flags, TrainCommand.Usage),
};
string usage = "usage:\n" + string.Join("\n", commands.Values.Select(c => "  " + c.Usage.Replace("\n", "\n  ")));

if (args is ["--version"])
{
    Console.WriteLine(typeof(CommandLine).Assembly.GetCustomAttribute<System.Reflection.AssemblyInformationalVersionAttribute>()!.InformationalVersion);
    return 0;
}
if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
{
    Console.WriteLine(usage);
    return args.Length == 0 ? 2 : 0;
}
if (args.Length > 1 && args.Skip(1).Any(a => a is "-h" or "--help"))
{
    Console.WriteLine($"usage:\n  {commands.GetValueOrDefault(args[0]).Usage?.Replace("\n", "\n  ") ?? usage}");
    return commands.ContainsKey(args[0]) ? 0 : 2;
}
if (!commands.TryGetValue(args[0], out var command))
{
    Console.Error.WriteLine($"fcn: unknown command '{args[0]}'\n{usage}");
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
    return command.Run(new CommandLine(args.Skip(1), new HashSet<string>(command.Flags.Append(OutputGuard.OverwriteFlag))), interruption.Token);
}
catch (OperationCanceledException) when (interruption.Token.IsCancellationRequested)
{
    Console.Error.WriteLine($"fcn {args[0]}: interrupted");
    return Interruption.ExitCode;
}
catch (UsageException e)
{
    if (world is not null) world.Abort($"fcn {args[0]}: {e.Message}", 2);
    Console.Error.WriteLine($"fcn {args[0]}: {e.Message}\nusage:\n  {command.Usage.Replace("\n", "\n  ")}");
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
