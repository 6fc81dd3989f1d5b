using Fcn.MLNet.Evaluation;

namespace Fcn.MLNet.Training.Distributed;

/// <summary>
/// Sums the confusion matrices of ranks that each scored a share of a dataset: counts are integers, so the summed
/// matrix — and every metric computed from it — equals one process scoring the whole dataset exactly.
/// </summary>
public static class ConfusionMatrixReduction
{
    /// <summary>The sum of every rank's <paramref name="matrix"/>, on every rank (a collective: all ranks must call it).</summary>
    public static SegmentationConfusionMatrix SumOverRanks(this MpiWorld world, SegmentationConfusionMatrix matrix)
    {
        ArgumentNullException.ThrowIfNull(world);
        ArgumentNullException.ThrowIfNull(matrix);
        var packed = matrix.Pack();
        world.AllreduceSum(packed.AsSpan());
        return SegmentationConfusionMatrix.Unpack(matrix.NumberOfClasses, packed);
    }
}
