namespace Fcn.MLNet.Tests.Support;

/// <summary>A test class over one <see cref="ChannelDataset"/> written once into its own temp folder.</summary>
public abstract class ChannelDatasetFixture
{
    /// <summary>The class's temp folder.</summary>
    protected string Dir { get; private set; } = "";

    /// <summary>The dataset and base model in <see cref="Dir"/>.</summary>
    internal ChannelDataset Data { get; private set; } = null!;

    [OneTimeSetUp]
    public void WriteChannelDataset()
    {
        Dir = TestPaths.NewTempFolder();
        Data = ChannelDataset.Write(Dir);
    }
}
