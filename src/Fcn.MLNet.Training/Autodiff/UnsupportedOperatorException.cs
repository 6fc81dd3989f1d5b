namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// A node on the path from the trainable parameters to the loss has no backward rule. The message names the
/// operator and the node.
/// </summary>
public sealed class UnsupportedOperatorException : NotSupportedException
{
    /// <summary>Creates the error for operator <paramref name="opType"/> at node <paramref name="nodeName"/>.</summary>
    public UnsupportedOperatorException(string opType, string nodeName, string? detail = null)
        : base($"Operator '{opType}' (node '{nodeName}') is not differentiable by Fcn.MLNet.Training" +
               (detail is null ? "." : $": {detail}.") +
               " Freeze the parameters before it, or replace the operator in the model.")
    {
        OpType = opType;
        NodeName = nodeName;
    }

    /// <summary>The ONNX operator type.</summary>
    public string OpType { get; }

    /// <summary>The node's name (or its first output when the node has no name).</summary>
    public string NodeName { get; }
}
