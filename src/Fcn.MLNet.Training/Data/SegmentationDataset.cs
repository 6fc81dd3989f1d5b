using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// A list of training samples, held in memory or loaded each time they are drawn (from image/mask file pairs or
/// an IDataView), so a large dataset does not have to fit in memory.
/// </summary>
public sealed class SegmentationDataset
{
    private readonly Func<IReadOnlyList<int>, IReadOnlyList<SegmentationSample>> _load;

    private SegmentationDataset(int count, Func<IReadOnlyList<int>, IReadOnlyList<SegmentationSample>> load, IReadOnlyList<string> names)
    {
        Count = count;
        _load = load;
        Names = names;
    }

    /// <summary>Number of samples.</summary>
    public int Count { get; }

    /// <summary>A name per sample (the file stem, or its index).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Sample <paramref name="index"/>.</summary>
    public SegmentationSample this[int index] => _load(new[] { index })[0];

    /// <summary>
    /// Samples <paramref name="indices"/>, in that order (an index may repeat). A source read sequentially (an
    /// IDataView) reads them all in one pass, so drawing a batch at once is cheaper than drawing its samples one by one.
    /// Safe to call from several threads at once.
    /// </summary>
    public IReadOnlyList<SegmentationSample> Load(IReadOnlyList<int> indices) => _load(indices);

    /// <summary>Samples produced on demand by <paramref name="load"/>, one at a time (e.g. decoded from a compact store).</summary>
    public static SegmentationDataset FromLoader(int count, Func<int, SegmentationSample> load, IReadOnlyList<string> names) =>
        FromBatchLoader(count, indices => indices.Select(load).ToList(), names);

    /// <summary>Samples produced on demand by <paramref name="load"/>, which returns the samples of the given indices in their order.</summary>
    public static SegmentationDataset FromBatchLoader(int count, Func<IReadOnlyList<int>, IReadOnlyList<SegmentationSample>> load, IReadOnlyList<string> names)
    {
        if (count == 0) throw new ArgumentException("The dataset is empty.", nameof(count));
        if (names.Count != count) throw new ArgumentException($"{names.Count} names for {count} samples.", nameof(names));
        return new SegmentationDataset(count, load, names);
    }

    /// <summary>Samples already in memory.</summary>
    public static SegmentationDataset FromSamples(IReadOnlyList<SegmentationSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("The dataset is empty.", nameof(samples));
        return new SegmentationDataset(samples.Count, indices => indices.Select(i => samples[i]).ToList(), samples.Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
    }

    /// <summary>
    /// Images in <paramref name="imagesFolder"/> paired by file stem with PNG masks in <paramref name="masksFolder"/>
    /// (see <see cref="FilePairs.Pair"/>), loaded on demand with <paramref name="preprocessing"/>.
    /// </summary>
    public static SegmentationDataset FromFolders(string imagesFolder, string masksFolder, ImagePreprocessing preprocessing,
        ColorClassTable? colors = null)
    {
        var pairs = FilePairs.Pair(imagesFolder, masksFolder);
        return FromPairs(pairs, preprocessing, colors);
    }

    /// <summary>Image/mask file pairs, loaded on demand.</summary>
    public static SegmentationDataset FromPairs(IReadOnlyList<FilePair> pairs, ImagePreprocessing preprocessing, ColorClassTable? colors = null)
    {
        if (pairs.Count == 0) throw new ArgumentException("The dataset is empty.", nameof(pairs));
        preprocessing.Validate();
        return FromLoader(pairs.Count, i => SegmentationSample.Load(pairs[i].ImagePath, pairs[i].MaskPath, preprocessing, colors),
            pairs.Select(p => p.Stem).ToList());
    }
}
