using System.Security.Cryptography;
using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Loss;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>
/// Streams training samples from an IDataView of images and ground truth. <see cref="Survey"/> reads the label column
/// once (images are not decoded when the masks give their size): it counts the rows, checks every label, gathers the
/// class pixel counts and the data's fingerprint. Samples are then decoded and preprocessed when drawn, the rows of a
/// request in one cursor pass, so memory does not grow with the dataset.
/// </summary>
internal sealed class DataViewSamples
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _image, _label;
    private readonly ImagePreprocessing _preprocessing;
    private readonly string _role;

    private DataViewSamples(IDataView data, DataViewSchema.Column image, DataViewSchema.Column label, ImagePreprocessing preprocessing, string role)
    {
        _data = data;
        _image = image;
        _label = label;
        _preprocessing = preprocessing;
        _role = role;
    }

    /// <summary>The samples, decoded when drawn.</summary>
    public SegmentationDataset Dataset { get; private set; } = null!;

    /// <summary>Per-class pixel statistics of the labels (for class balancing).</summary>
    public ClassPixelCounts PixelCounts { get; private set; } = null!;

    /// <summary>"N images sha256:…" over every row's size and labels (what a checkpoint records of its data).</summary>
    public string Fingerprint { get; private set; } = "";

    /// <summary>
    /// Surveys <paramref name="data"/>; each label must be in [0, <paramref name="classes"/>) or be
    /// <paramref name="ignoreLabel"/>, else the error names the mask, the pixel and the label (<see cref="ClassPixelCounts.Add"/>).
    /// </summary>
    public static DataViewSamples Survey(IDataView data, string imageColumn, string labelColumn, ImagePreprocessing preprocessing, string role,
        int classes, int? ignoreLabel, CancellationToken cancel = default)
    {
        var image = data.Schema.GetColumnOrNull(imageColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(imageColumn), $"FcnTrainer: {role} has no image column '{imageColumn}'.");
        if (image.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(nameof(imageColumn), $"FcnTrainer: column '{imageColumn}' must be an image (MLImage); found {image.Type}.");
        var label = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumn), $"FcnTrainer: {role} has no label column '{labelColumn}'.");
        var source = new DataViewSamples(data, image, label, preprocessing, role);

        var names = new List<string>();
        var counts = new ClassPixelCounts(classes, ignoreLabel);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        // The image column is requested but read only for integer-vector labels, which carry no size (getters are lazy).
        using (var cursor = data.GetRowCursor(new[] { image, label }))
        {
            var readLabels = LabelMapColumn.Getter(cursor, label, colors: null, ignoreLabel: null, "label");
            var getImage = cursor.GetGetter<MLImage>(image);
            long row = 0;
            while (cursor.MoveNext())
            {
                cancel.ThrowIfCancellationRequested();
                var (labels, size, name) = readLabels(row);
                var (width, height) = size ?? source.ImageSize(getImage, row);
                if (labels.Length != (long)width * height)
                    throw new InvalidDataException($"{name}: {labels.Length} labels for a {width}x{height} image.");
                counts.Add(labels, width, name); // checks every label
                hash.AppendData(BitConverter.GetBytes(width));
                hash.AppendData(BitConverter.GetBytes(height));
                hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(labels.AsSpan()));
                names.Add(name);
                row++;
            }
        }
        if (names.Count == 0) throw new InvalidDataException($"FcnTrainer: {role} has no rows.");
        source.Dataset = SegmentationDataset.FromBatchLoader(names.Count, source.Load, names);
        source.PixelCounts = counts;
        source.Fingerprint = $"{names.Count} images sha256:{Convert.ToHexString(hash.GetHashAndReset())[..16]}";
        return source;
    }

    private (int Width, int Height) ImageSize(ValueGetter<MLImage> getImage, long row)
    {
        MLImage image = null!;
        getImage(ref image);
        return image is null ? throw new InvalidDataException($"FcnTrainer: row {row} of {_role} has no image.") : (image.Width, image.Height);
    }

    private IReadOnlyList<SegmentationSample> Load(IReadOnlyList<int> indices)
    {
        var loaded = Read(indices);
        return indices.Select(i => loaded[i]).ToList();
    }

    /// <summary>Decodes the rows <paramref name="indices"/> (any order, repeats allowed) in one cursor pass.</summary>
    private Dictionary<int, SegmentationSample> Read(IReadOnlyList<int> indices)
    {
        var wanted = indices.Distinct().Order().ToArray();
        var loaded = new Dictionary<int, SegmentationSample>(wanted.Length);
        using var cursor = _data.GetRowCursor(new[] { _image, _label });
        var getImage = cursor.GetGetter<MLImage>(_image);
        var readLabels = LabelMapColumn.Getter(cursor, _label, colors: null, ignoreLabel: null, "label");
        int next = 0;
        long row = -1;
        while (next < wanted.Length && cursor.MoveNext())
        {
            if (++row != wanted[next]) continue; // skipped rows are not decoded (ML.NET getters are lazy)
            // The image is not disposed: an in-memory IDataView (rows holding MLImages) hands out the same image every epoch.
            MLImage image = null!;
            getImage(ref image);
            if (image is null) throw new InvalidDataException($"FcnTrainer: row {row} of {_role} has no image.");
            var (labels, size, name) = readLabels(row);
            if (size is { } s && (s.Width != image.Width || s.Height != image.Height))
                throw new InvalidDataException($"{name}: mask is {s.Width}x{s.Height} but its image is {image.Width}x{image.Height}.");
            if (labels.Length != image.Width * image.Height)
                throw new InvalidDataException($"{name}: {labels.Length} labels for a {image.Width}x{image.Height} image.");
            loaded[wanted[next++]] = new SegmentationSample(SegmentationSample.ToPlanar(image, _preprocessing), new LabelMap(image.Width, image.Height, labels));
        }
        if (next < wanted.Length)
            throw new InvalidDataException($"FcnTrainer: {_role} has only {row + 1} rows now, but row {wanted[next]} was asked for: the data changed during training.");
        return loaded;
    }
}
