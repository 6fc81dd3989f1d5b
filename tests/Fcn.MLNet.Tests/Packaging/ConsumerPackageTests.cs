using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests.Packaging;

/// <summary>
/// The packages as a consumer sees them: <c>dotnet pack</c> of this build into a local folder, then a fresh console
/// project outside the repository that references only <c>Fcn.MLNet</c> and <c>Fcn.MLNet.Training</c> (their own
/// dependencies come from the machine's NuGet source) restores, builds and runs Packaging/Consumer/Program.cs; and
/// <c>dotnet tool install --add-source</c> of the <c>fcn</c> tool runs <c>fcn --version</c>.
/// </summary>
/// <remarks>
/// The packages get a version of their own (<c>0.1.0-consumer.&lt;time&gt;</c>) and a package folder of their own, so a
/// package of an earlier run is never picked up; the machine's package cache serves the dependencies read-only
/// (a fallback folder), so nothing is downloaded twice and the cache is not written. Everything lives in one temp
/// folder, removed at the end unless a test failed (its path is then printed).
/// </remarks>
[NonParallelizable]
public class ConsumerPackageTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);
    private string _root = "", _feed = "", _version = "";
    private Dictionary<string, string> _environment = new();
    private bool _failed;

    [OneTimeSetUp]
    public void Pack()
    {
        _root = Path.Combine(Path.GetTempPath(), "fcn-mlnet-consumer", Guid.NewGuid().ToString("N")[..12]);
        _feed = Path.Combine(_root, "feed");
        Directory.CreateDirectory(_feed);
        _version = $"0.1.0-consumer.{DateTime.UtcNow:yyyyMMddHHmmss}";
        var global = DotnetCommand.Run("dotnet", _root, new Dictionary<string, string>(), Limit, "nuget", "locals", "global-packages", "--list");
        Assert.That(global.ExitCode, Is.Zero, global.ToString());
        string cache = global.StdOut.Trim().Split("global-packages:", 2)[1].Trim();
        _environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(_root, "packages") };
        // Outside the repository: no Directory.Build.props/Packages.props of ours applies, sources are the machine's
        // plus the local feed; the machine's package cache answers for the dependencies without being written.
        File.WriteAllText(Path.Combine(_root, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(_root, "Directory.Build.targets"), "<Project />");
        File.WriteAllText(Path.Combine(_root, "Directory.Packages.props"), "<Project />");
        new XDocument(new XElement("configuration",
            new XElement("packageSources", new XElement("add", new XAttribute("key", "fcn-local"), new XAttribute("value", _feed))),
            new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine-cache"), new XAttribute("value", cache))))).Save(Path.Combine(_root, "NuGet.config"));

        // The build of this test run (Debug or Release), packed as is.
        string config = new DirectoryInfo(TestContext.CurrentContext.TestDirectory).Parent!.Name;
        var pack = DotnetCommand.Run("dotnet", FcnProcess.RepoRoot(), _environment, Limit,
            "pack", Path.Combine(FcnProcess.RepoRoot(), "Fcn.MLNet.sln"), "--no-build", "-c", config, "-o", _feed, $"-p:PackageVersion={_version}", "--disable-build-servers");
        TestContext.Progress.WriteLine($"dotnet pack: {pack.Elapsed.TotalSeconds:F0} s");
        Assert.That(pack.ExitCode, Is.Zero, pack.ToString());
    }

    [TearDown]
    public void NoteFailure()
    {
        if (TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed) _failed = true;
    }

    [OneTimeTearDown]
    public void Clean()
    {
        if (_failed || TestContext.CurrentContext.Result.Outcome.Status == NUnit.Framework.Interfaces.TestStatus.Failed)
        {
            TestContext.Progress.WriteLine($"consumer test files kept in {_root}");
            return;
        }
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException e) { TestContext.Progress.WriteLine($"could not remove {_root}: {e.Message}"); }
    }

    [Test]
    public void Exactly_the_three_packages_are_packed_with_licence_readme_and_symbols()
    {
        var packages = Directory.GetFiles(_feed).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray();
        Assert.That(packages, Is.EqualTo(new[] { "Fcn.MLNet.Cli", "Fcn.MLNet.Training", "Fcn.MLNet" }
            .SelectMany(id => new[] { $"{id}.{_version}.nupkg", $"{id}.{_version}.snupkg" }).Order(StringComparer.Ordinal).ToArray()),
            "samples, tests and benchmarks are not packable");
        foreach (var id in new[] { "Fcn.MLNet", "Fcn.MLNet.Training", "Fcn.MLNet.Cli" })
        {
            using var zip = ZipFile.OpenRead(Path.Combine(_feed, $"{id}.{_version}.nupkg"));
            var names = zip.Entries.Select(e => e.FullName).ToList();
            Assert.That(names, Does.Contain("LICENSE").And.Contain("PACKAGE.md"), id);
            var nuspec = Nuspec(zip);
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.That(metadata.Element(ns + "license")?.Value, Is.EqualTo("MIT"), id);
            Assert.That(metadata.Element(ns + "readme")?.Value, Is.EqualTo("PACKAGE.md"), id);
            Assert.That(metadata.Element(ns + "repository")?.Attribute("url")?.Value, Does.StartWith("https://"), id);
            Assert.That(metadata.Element(ns + "tags")?.Value, Does.Contain("semantic-segmentation"), id);
            Assert.That(names.Where(n => n.EndsWith(".onnx", StringComparison.Ordinal) && !n.StartsWith("tools/", StringComparison.Ordinal)), Is.Empty,
                $"{id}: no backbone model packed as content");
        }
        using (var inference = ZipFile.OpenRead(Path.Combine(_feed, $"Fcn.MLNet.{_version}.nupkg")))
        {
            Assert.That(inference.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/Fcn.MLNet.Transforms.xml"), "XML docs");
            var dependencies = Nuspec(inference).Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")!.Value).ToList();
            Assert.That(dependencies, Does.Contain("Microsoft.ML.OnnxTransformer"));
            Assert.That(dependencies, Has.None.StartsWith("Microsoft.ML.DnnImageFeaturizer"), "inference needs no backbone");
        }
        using (var symbols = ZipFile.OpenRead(Path.Combine(_feed, $"Fcn.MLNet.{_version}.snupkg")))
            Assert.That(symbols.Entries.Select(e => e.FullName), Does.Contain("lib/net10.0/Fcn.MLNet.Transforms.pdb"));
    }

    [Test]
    public void A_console_project_outside_the_repository_segments_evaluates_fine_tunes_and_reloads_from_the_packages()
    {
        string project = Path.Combine(_root, "consumer"), data = Path.Combine(_root, "consumer-data");
        Directory.CreateDirectory(project);
        Directory.CreateDirectory(data);
        File.Copy(Path.Combine(TestContext.CurrentContext.TestDirectory, "Packaging", "Consumer", "Program.cs"), Path.Combine(project, "Program.cs"));
        new XDocument(new XElement("Project", new XAttribute("Sdk", "Microsoft.NET.Sdk"),
            new XElement("PropertyGroup",
                new XElement("OutputType", "Exe"), new XElement("TargetFramework", "net10.0"),
                new XElement("ImplicitUsings", "enable"), new XElement("Nullable", "enable"), new XElement("TreatWarningsAsErrors", "true")),
            new XElement("ItemGroup",
                new XElement("PackageReference", new XAttribute("Include", "Fcn.MLNet"), new XAttribute("Version", _version)),
                new XElement("PackageReference", new XAttribute("Include", "Fcn.MLNet.Training"), new XAttribute("Version", _version))))).Save(Path.Combine(project, "consumer.csproj"));

        var build = Dotnet(project, "build", "-c", "Release", "--disable-build-servers");
        Assert.That(build.ExitCode, Is.Zero, build.ToString());
        string app = Path.Combine(project, "bin", "Release", "net10.0", "consumer.dll");
        Assert.That(File.Exists(Path.Combine(project, "bin", "Release", "net10.0", "DnnImageModels", "ResNet18Onnx", "ResNet18.onnx")),
            "the backbone package's build props copy ResNet18.onnx into the consumer's output");
        var run = Dotnet(project, app, data);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.StdOut, Does.Contain("fine-tuned: 2 iterations").And.Contain("SegmentFcn: 48x40 class map").And.Contain("Evaluate: pixel accuracy")
            .And.Contain("save -> load: 3/3 maps identical").And.Contain("consumer: OK"), run.ToString());
    }

    [Test]
    public void The_tool_installs_from_the_local_folder_and_prints_its_version()
    {
        string tools = Path.Combine(_root, "tools");
        var install = Dotnet(_root, "tool", "install", "Fcn.MLNet.Cli", "--tool-path", tools, "--add-source", _feed, "--version", _version);
        Assert.That(install.ExitCode, Is.Zero, install.ToString());
        var version = DotnetCommand.Run(Path.Combine(tools, "fcn"), _root, _environment, Limit, "--version");
        Assert.That(version.ExitCode, Is.Zero, version.ToString());
        string expected = FileVersionInfo.GetVersionInfo(FcnProcess.CliDll()).ProductVersion!;
        Assert.That(version.StdOut.Trim(), Is.EqualTo(expected), "fcn --version prints the informational version of the build it was packed from");
    }

    private DotnetCommand.Result Dotnet(string directory, params string[] args)
    {
        var result = DotnetCommand.Run("dotnet", directory, _environment, Limit, args);
        TestContext.Progress.WriteLine($"{result.Command}: {result.Elapsed.TotalSeconds:F0} s");
        return result;
    }

    private static XDocument Nuspec(ZipArchive package)
    {
        using var s = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/')).Open();
        return XDocument.Load(s);
    }
}
