using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Training.Data;
using Fcn.MLNet.Training.Loss;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;

namespace Fcn.MLNet.Tests.Training;

/// <summary>Median-frequency class weights against a hand computation, and the trainer's checks on class weights.</summary>
public class ClassBalancingTests
{
    private static SegmentationDataset TwoImages(params int[][] labels) => SegmentationDataset.FromSamples(labels
        .Select(l => new SegmentationSample(new float[3 * l.Length], new LabelMap(2, l.Length / 2, l))).ToList());

    [Test]
    public void Median_frequency_weights_match_a_hand_computation()
    {
        // Image A: 0,0,0,1 (4 labelled pixels). Image B: 0,2,2 and one ignored pixel (3 labelled). Class 3 never appears.
        // freq(0) = 4/(4+3) = 4/7, freq(1) = 1/4, freq(2) = 2/3; median of the present = 4/7.
        var data = TwoImages(new[] { 0, 0, 0, 1 }, new[] { 0, 2, 2, 255 });
        var w = ClassFrequencyWeights.MedianFrequency(data, 4, 255);
        Assert.That(w, Is.EqualTo(new[] { 1f, (4f / 7) / (1f / 4), (4f / 7) / (2f / 3), 1f }).Within(1e-6));
    }

    [Test]
    public void Even_class_counts_take_the_mean_of_the_two_middle_frequencies()
    {
        // One 2x2 image: freq(0) = 3/4, freq(1) = 1/4 → median 1/2.
        var w = ClassFrequencyWeights.MedianFrequency(TwoImages(new[] { 0, 0, 0, 1 }), 2, null);
        Assert.That(w, Is.EqualTo(new[] { 2f / 3, 2f }).Within(1e-6));
    }

    [Test]
    public void A_label_outside_the_classes_names_the_sample()
    {
        var e = Assert.Throws<InvalidDataException>(() => ClassFrequencyWeights.MedianFrequency(TwoImages(new[] { 0, 1, 0, 0 }, new[] { 0, 7, 0, 0 }), 2, 255));
        Assert.That(e!.Message, Does.StartWith("1: label 7 is not a class"));
    }

    [Test]
    public void Explicit_weights_and_balancing_together_or_the_wrong_count_are_refused()
    {
        var ml = new MLContext();
        var both = Assert.Throws<ArgumentException>(() => ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
        {
            NumberOfClasses = 2, ClassWeights = new[] { 1f, 2f }, ClassBalancing = ClassBalancing.MedianFrequency,
        }));
        Assert.That(both!.Message, Does.Contain("not both"));
        var count = Assert.Throws<ArgumentException>(() => ml.SemanticSegmentation().Trainers.Fcn(new FcnTrainerOptions
        {
            NumberOfClasses = 3, ClassWeights = new[] { 1f, 2f },
        }));
        Assert.That(count!.Message, Does.Contain("needs 3 finite weights"));
    }
}
