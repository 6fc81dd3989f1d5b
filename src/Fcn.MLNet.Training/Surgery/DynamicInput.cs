using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Surgery;

/// <summary>Makes a model's image input accept any height and width (paper 3.1: a net of local ops takes any size).</summary>
public static class DynamicInput
{
    /// <summary>Symbol for the input height.</summary>
    public const string Height = "height";

    /// <summary>Symbol for the input width.</summary>
    public const string Width = "width";

    /// <summary>
    /// Replaces dims 2 and 3 of the (single, non-initializer) image input by <see cref="Height"/>/<see cref="Width"/>,
    /// sets batch to 1, and drops declared shapes of intermediate values and outputs (they held the fixed size).
    /// Returns the canonical (H, W) the model was exported at, or null when it was already dynamic.
    /// </summary>
    public static (int Height, int Width)? Apply(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = new HashSet<string>(graph.Initializer.Select(t => t.Name));
        var inputs = graph.Input.Where(i => !initializers.Contains(i.Name)).ToList();
        if (inputs.Count != 1)
            throw new InvalidDataException($"Expected one image input, found {inputs.Count}: {string.Join(", ", inputs.Select(i => i.Name))}.");
        var dims = inputs[0].Type?.TensorType?.Shape?.Dim;
        if (dims is null || dims.Count != 4)
            throw new InvalidDataException($"Input '{inputs[0].Name}' must be [N, C, H, W]; it has rank {dims?.Count ?? 0}.");
        (int, int)? canonical = dims[2].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            && dims[3].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            ? ((int)dims[2].DimValue, (int)dims[3].DimValue) : null;
        dims[0] = new TensorShapeProto.Types.Dimension { DimValue = 1 };
        dims[2] = new TensorShapeProto.Types.Dimension { DimParam = Height };
        dims[3] = new TensorShapeProto.Types.Dimension { DimParam = Width };
        graph.ValueInfo.Clear();
        foreach (var o in graph.Output) if (o.Type?.TensorType is { } t) t.Shape = null;
        return canonical;
    }

    /// <summary>Symbol for a dynamic batch size.</summary>
    public const string Batch = "batch";

    /// <summary>
    /// A copy whose image input (and outputs) declare a dynamic batch instead of a fixed 1, so batches of several
    /// images can be run; the model itself is not changed. Models whose graph bakes in the batch size still fail in ORT.
    /// </summary>
    public static ModelProto WithDynamicBatch(ModelProto model, string? inputName = null)
    {
        var copy = model.Clone();
        var initializers = new HashSet<string>(copy.Graph.Initializer.Select(t => t.Name));
        var input = copy.Graph.Input.FirstOrDefault(i => inputName is null ? !initializers.Contains(i.Name) : i.Name == inputName);
        foreach (var v in new[] { input }.Concat(copy.Graph.Output))
            if (v?.Type?.TensorType?.Shape?.Dim is { Count: > 0 } dims && dims[0].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue)
                dims[0] = new TensorShapeProto.Types.Dimension { DimParam = Batch };
        return copy;
    }
}
