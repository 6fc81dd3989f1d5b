namespace Fcn.MLNet.Onnx;

/// <summary>One dimension of a graph input/output shape: a fixed size or a symbolic (dynamic) name.</summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    /// <summary>A fixed dimension.</summary>
    public static implicit operator OnnxDim(long value) => new(value, null);

    /// <summary>A symbolic (dynamic) dimension.</summary>
    public static implicit operator OnnxDim(string symbol) => new(null, symbol);

    /// <summary>True when the dimension has no fixed size.</summary>
    public bool IsDynamic => Value is null;

    /// <inheritdoc />
    public override string ToString() => Value?.ToString() ?? Symbol ?? "?";
}
