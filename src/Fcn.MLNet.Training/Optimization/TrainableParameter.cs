namespace Fcn.MLNet.Training.Optimization;

/// <summary>
/// A parameter being trained: its values (updated in place, and seen by ONNX Runtime through pinned buffers),
/// its latest gradient, the SGD momentum buffer and its learning-rate and weight-decay multipliers.
/// </summary>
public sealed class TrainableParameter
{
    /// <summary>Creates a parameter over <paramref name="values"/> (not copied).</summary>
    public TrainableParameter(string name, long[] shape, float[] values, bool isBias, float learningRateMultiplier = 1f,
        float weightDecayMultiplier = 1f)
    {
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (values.LongLength != count)
            throw new ArgumentException($"Parameter '{name}' of shape [{string.Join(", ", shape)}] needs {count} values, got {values.LongLength}.");
        Name = name;
        Shape = shape;
        Values = values;
        Gradient = new float[values.Length];
        Momentum = new float[values.Length];
        IsBias = isBias;
        LearningRateMultiplier = learningRateMultiplier;
        WeightDecayMultiplier = weightDecayMultiplier;
    }

    /// <summary>The initializer's name in the model.</summary>
    public string Name { get; }

    /// <summary>The tensor shape.</summary>
    public long[] Shape { get; }

    /// <summary>Current values.</summary>
    public float[] Values { get; }

    /// <summary>∂loss/∂parameter of the latest step.</summary>
    public float[] Gradient { get; }

    /// <summary>The momentum buffer of SGD.</summary>
    public float[] Momentum { get; }

    /// <summary>True for bias parameters (Conv/ConvTranspose/Gemm/BatchNormalization B inputs).</summary>
    public bool IsBias { get; }

    /// <summary>Multiplies the learning rate of this parameter (the FCN paper doubles it for biases).</summary>
    public float LearningRateMultiplier { get; set; }

    /// <summary>Multiplies the weight decay of this parameter.</summary>
    public float WeightDecayMultiplier { get; set; }
}
