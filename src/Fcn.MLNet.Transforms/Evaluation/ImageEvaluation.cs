namespace Fcn.MLNet.Evaluation;

/// <summary>
/// One image as the evaluator scored it: its own confusion matrix (the same <see cref="SegmentationConfusionMatrix"/>
/// the dataset's is summed from, so per-image IU comes from the dataset metrics' code), its label maps and, when
/// known, its size and image file. Handed to an observer of <see cref="SemanticSegmentationCatalog.Evaluate"/>.
/// </summary>
internal sealed record ImageEvaluation(long Row, string Source, string? ImagePath, (int Width, int Height)? Size,
    int[] Truth, int[] Prediction, SegmentationConfusionMatrix Matrix)
{
    /// <summary>
    /// Mean IU over the classes present in this image's ground truth or prediction (ignored pixels left out);
    /// NaN when every pixel is ignored.
    /// </summary>
    public double MeanIU => Matrix.ToMetrics().MeanIU;
}
