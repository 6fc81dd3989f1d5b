using System.Reflection;

namespace Fcn.Cli.Help;

/// <summary>The tool's informational version (<c>0.1.0+commit</c>): what <c>fcn --version</c> prints.</summary>
internal static class ToolVersion
{
    public static string Informational =>
        typeof(ToolVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
}
