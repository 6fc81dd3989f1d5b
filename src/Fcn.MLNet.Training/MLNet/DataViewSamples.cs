using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.Data;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Fcn.MLNet.Training.MLNet;

/// <summary>Reads an IDataView of images and ground truth into training samples (preprocessed, in memory).</summary>
internal static class DataViewSamples
{
    public static SegmentationDataset Read(IDataView data, string imageColumn, string labelColumn, ImagePreprocessing preprocessing, string role)
    {
        var image = data.Schema.GetColumnOrNull(imageColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(imageColumn), $"FcnTrainer: {role} has no image column '{imageColumn}'.");
        if (image.Type is not ImageDataViewType)
            throw new ArgumentOutOfRangeException(nameof(imageColumn), $"FcnTrainer: column '{imageColumn}' must be an image (MLImage); found {image.Type}.");
        var label = data.Schema.GetColumnOrNull(labelColumn)
            ?? throw new ArgumentOutOfRangeException(nameof(labelColumn), $"FcnTrainer: {role} has no label column '{labelColumn}'.");

        var samples = new List<SegmentationSample>();
        var names = new List<string>();
        using var cursor = data.GetRowCursor(new[] { image, label });
        var getImage = cursor.GetGetter<MLImage>(image);
        var readLabels = LabelMapColumn.Getter(cursor, label, colors: null, ignoreLabel: null, "label");
        long row = 0;
        while (cursor.MoveNext())
        {
            MLImage img = null!;
            getImage(ref img);
            if (img is null) throw new InvalidDataException($"FcnTrainer: row {row} of {role} has no image.");
            var (labels, size, source) = readLabels(row);
            if (size is { } s && (s.Width != img.Width || s.Height != img.Height))
                throw new InvalidDataException($"{source}: mask is {s.Width}x{s.Height} but its image is {img.Width}x{img.Height}.");
            if (labels.Length != img.Width * img.Height)
                throw new InvalidDataException($"{source}: {labels.Length} labels for a {img.Width}x{img.Height} image.");
            samples.Add(new SegmentationSample(SegmentationSample.ToPlanar(img, preprocessing), new LabelMap(img.Width, img.Height, labels)));
            names.Add(source);
            row++;
        }
        if (samples.Count == 0) throw new InvalidDataException($"FcnTrainer: {role} has no rows.");
        return SegmentationDataset.FromLoader(samples.Count, i => samples[i], names);
    }
}
