using Fcn.MLNet.Data;
using Fcn.MLNet.Imaging;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// A list of training samples, held in memory or loaded from image/mask file pairs each time they are drawn (so a
/// large dataset does not have to fit in memory).
/// </summary>
public sealed class SegmentationDataset
{
    private readonly Func<int, SegmentationSample> _load;

    private SegmentationDataset(int count, Func<int, SegmentationSample> load, IReadOnlyList<string> names)
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
    public SegmentationSample this[int index] => _load(index);

    /// <summary>Samples produced on demand by <paramref name="load"/> (e.g. decoded from a compact store).</summary>
    public static SegmentationDataset FromLoader(int count, Func<int, SegmentationSample> load, IReadOnlyList<string> names)
    {
        if (count == 0) throw new ArgumentException("The dataset is empty.", nameof(count));
        if (names.Count != count) throw new ArgumentException($"{names.Count} names for {count} samples.", nameof(names));
        return new SegmentationDataset(count, load, names);
    }

    /// <summary>Samples already in memory.</summary>
    public static SegmentationDataset FromSamples(IReadOnlyList<SegmentationSample> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("The dataset is empty.", nameof(samples));
        return new SegmentationDataset(samples.Count, i => samples[i], samples.Select((_, i) => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList());
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
        return new SegmentationDataset(pairs.Count, i => SegmentationSample.Load(pairs[i].ImagePath, pairs[i].MaskPath, preprocessing, colors),
            pairs.Select(p => p.Stem).ToList());
    }
}
