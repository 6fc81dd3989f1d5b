namespace Fcn.MLNet.Tests.Support;

internal static class TestPaths
{
    /// <summary>A new empty folder under the test run's temp root (removed by the OS or CI; never in the repo).</summary>
    public static string NewTempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fcn-mlnet-tests", Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
