using Fcn.MLNet.Training.Optimization;

namespace Fcn.MLNet.Tests.Training;

/// <summary>The optimizer against torch.optim.SGD steps worked out by hand.</summary>
public class SgdMomentumTests
{
    private static readonly float[][] Gradients = { new[] { 0.5f, 0.25f }, new[] { -0.1f, 0.4f }, new[] { 0.2f, 0f } };

    // torch.optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.01), p0 = (1, −2):
    // step 1: d = g + 0.01·p = (0.51, 0.23); b = d;                 p = (0.949, −2.023)
    // step 2: d = (−0.09051, 0.37977); b = 0.9·b + d = (0.36849, 0.58677); p = (0.912151, −2.081677)
    // step 3: d = (0.20912151, −0.02081677); b = (0.54076251, 0.50727623); p = (0.858074749, −2.132404623)
    private static readonly double[][] Expected =
    {
        new[] { 0.949, -2.023 }, new[] { 0.912151, -2.081677 }, new[] { 0.858074749, -2.132404623 },
    };

    [Test]
    public void Three_steps_match_torch_SGD_with_momentum_and_weight_decay()
    {
        var p = new TrainableParameter("w", new long[] { 2 }, new[] { 1f, -2f }, isBias: false);
        var sgd = new SgdMomentum(new[] { p }, momentum: 0.9, weightDecay: 0.01);
        for (int step = 0; step < 3; step++)
        {
            Gradients[step].CopyTo(p.Gradient, 0);
            sgd.Update(0.1);
            Assert.That(p.Values[0], Is.EqualTo(Expected[step][0]).Within(1e-6), $"step {step + 1}");
            Assert.That(p.Values[1], Is.EqualTo(Expected[step][1]).Within(1e-6), $"step {step + 1}");
        }
    }

    [Test]
    public void Vectorised_chunks_and_the_scalar_tail_give_the_same_update()
    {
        // 100 003 elements: several parallel chunks, SIMD bodies and a scalar tail; every pair follows the hand steps.
        int n = 100_003;
        var values = new float[n];
        for (int i = 0; i < n; i++) values[i] = i % 2 == 0 ? 1f : -2f;
        var p = new TrainableParameter("big", new long[] { n }, values, isBias: false);
        var sgd = new SgdMomentum(new[] { p }, 0.9, 0.01);
        for (int step = 0; step < 3; step++)
        {
            for (int i = 0; i < n; i++) p.Gradient[i] = Gradients[step][i % 2];
            sgd.Update(0.1);
        }
        for (int i = 0; i < n; i++)
            Assert.That(p.Values[i], Is.EqualTo(Expected[2][i % 2]).Within(1e-6), $"element {i}");
    }

    [Test]
    public void Learning_rate_multiplier_scales_the_step_as_a_torch_param_group_would()
    {
        // A bias with lr multiplier 2 and decay multiplier 0: p = 1 − 0.2·0.5 = 0.9 after one step.
        var p = new TrainableParameter("b", new long[] { 1 }, new[] { 1f }, isBias: true, learningRateMultiplier: 2, weightDecayMultiplier: 0);
        var sgd = new SgdMomentum(new[] { p }, 0.9, 0.01);
        p.Gradient[0] = 0.5f;
        sgd.Update(0.1);
        Assert.That(p.Values[0], Is.EqualTo(0.9).Within(1e-7));
    }

    [Test]
    public void Schedules_follow_the_Caffe_policies()
    {
        Assert.That(LearningRateSchedule.Fixed.At(1000, 0.1), Is.EqualTo(0.1));
        var step = LearningRateSchedule.Step(100, 0.5);
        Assert.That(step.At(99, 0.1), Is.EqualTo(0.1).Within(1e-15));
        Assert.That(step.At(100, 0.1), Is.EqualTo(0.05).Within(1e-15));
        Assert.That(step.At(250, 0.1), Is.EqualTo(0.025).Within(1e-15));
        var poly = LearningRateSchedule.Poly(100, 0.9);
        Assert.That(poly.At(0, 0.1), Is.EqualTo(0.1));
        Assert.That(poly.At(50, 0.1), Is.EqualTo(0.1 * Math.Pow(0.5, 0.9)).Within(1e-15));
        Assert.That(poly.At(100, 0.1), Is.EqualTo(0));
        Assert.That(LearningRateSchedule.Parse("step:100:0.5"), Is.EqualTo(step));
        Assert.That(LearningRateSchedule.Parse("poly:100"), Is.EqualTo(poly));
        Assert.Throws<FormatException>(() => LearningRateSchedule.Parse("cosine"));
    }
}
