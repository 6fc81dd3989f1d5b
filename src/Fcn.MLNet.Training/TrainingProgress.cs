namespace Fcn.MLNet.Training;

/// <summary>A report of <c>OnnxFcnTrainer.Train</c> after each iteration.</summary>
/// <param name="Iteration">Iterations done so far (1 after the first step).</param>
/// <param name="Loss">This iteration's loss.</param>
/// <param name="AverageLoss">Mean loss over the last (up to) 20 iterations.</param>
/// <param name="LearningRate">The base learning rate used by this iteration.</param>
/// <param name="StepTime">Wall time of this iteration (forward, backward and update).</param>
/// <param name="Elapsed">Wall time since training started.</param>
public sealed record TrainingProgress(int Iteration, double Loss, double AverageLoss, double LearningRate, TimeSpan StepTime, TimeSpan Elapsed);
