using System.Reflection;
using System.Runtime.CompilerServices;

namespace Fcn.MLNet.Mappings;

/// <summary>
/// Lets ML.NET find this assembly when it loads a model zip. The zip names the assembly of the CustomMapping
/// factories and ML.NET loads it by that name; hosts that loaded the library from a path (.NET Interactive's
/// <c>#r "…/Fcn.MLNet.Transforms.dll"</c>, plug-in contexts) cannot resolve the name by themselves.
/// </summary>
internal static class SelfResolution
{
#pragma warning disable CA2255 // A library-level initializer is the point: it must run before any model is loaded.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register()
    {
        var self = typeof(SelfResolution).Assembly;
        AppDomain.CurrentDomain.AssemblyResolve += (_, args) =>
            AssemblyName.ReferenceMatchesDefinition(new AssemblyName(args.Name), self.GetName()) ? self : null;
    }
}
