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
    /// <summary>
    /// Reads every row; each label must be in [0, <paramref name="classes"/>) or be <paramref name="ignoreLabel"/>, else
    /// the error names the mask, the pixel and the label.
    /// </summary>
    public static SegmentationDataset Read(IDataView data, string imageColumn, string labelColumn, ImagePreprocessing preprocessing, string role,
        int classes, int? ignoreLabel)
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
            for (int i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)classes && labels[i] != ignoreLabel)
                    throw new InvalidDataException($"{source}: pixel ({i % img.Width}, {i / img.Width}) has label {labels[i]}, but there are {classes} classes " +
                        $"(labels 0–{classes - 1}) and the ignore label is {ignoreLabel?.ToString() ?? "none"} (NumberOfClasses / --num-classes, IgnoreLabel / --ignore-label).");
            samples.Add(new SegmentationSample(SegmentationSample.ToPlanar(img, preprocessing), new LabelMap(img.Width, img.Height, labels)));
            names.Add(source);
            row++;
        }
        if (samples.Count == 0) throw new InvalidDataException($"FcnTrainer: {role} has no rows.");
        return SegmentationDataset.FromLoader(samples.Count, i => samples[i], names);
    }
}
