using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Architectures;

/// <summary>The layer helpers of the FCN heads (the <c>conv_relu</c>/<c>max_pool</c> of <c>net.py</c>).</summary>
internal sealed class HeadBuilder(GraphProto graph, Backbone backbone, int classes)
{
    private readonly OnnxGraphBuilder _b = new(graph);

    public List<string> Frozen { get; } = new();

    /// <summary>1×1 convolution to class scores, weights and bias zero (the paper's zero-initialised scoring layers).</summary>
    public string Score(FeatureTap tap, string name) =>
        _b.NamedNode("Conv", name, new[]
        {
            tap.Value,
            _b.AddFloats(name + ".weight", new float[classes * tap.Channels], classes, tap.Channels, 1, 1),
            _b.AddFloats(name + ".bias", new float[classes], classes),
        }, OnnxAttribute.Ints("kernel_shape", 1, 1));

    /// <summary>
    /// In-network upsampling by <paramref name="factor"/> onto the grid of <paramref name="reference"/>: the coarse
    /// map is zero-padded by one pixel (so the result covers the reference at any size), a ConvTranspose with
    /// stride f and bilinear weights upsamples it, and a crop aligns it. The kernel is 2f when coarse pixel centres
    /// fall half-way between fine ones and 2f − 1 when they fall on fine pixels, so the crop offset is an integer.
    /// </summary>
    public string UpsampleTo(string x, string reference, int factor, string name, string cropName, bool learned)
    {
        var maps = CoordinateMap.Compute(graph, backbone.Input);
        var coarse = maps[x];
        var fine = maps[reference];
        double delta = (coarse.Offset - fine.Offset) / fine.Scale; // coarse pixel 0, in fine pixels
        double fraction = delta - Math.Floor(delta);
        int k = Math.Abs(fraction) < 1e-6 || Math.Abs(fraction - 1) < 1e-6 ? 2 * factor - 1
            : Math.Abs(fraction - 0.5) < 1e-6 ? 2 * factor
            : throw new InvalidOperationException($"'{x}' sits {delta} fine pixels from '{reference}': no bilinear kernel aligns it.");
        string pads = _b.AddInt64s(name + ".pads", new long[] { 0, 0, 1, 1, 0, 0, 1, 1 }, 8);
        string padded = _b.NamedNode("Pad", name + "_pad", new[] { x, pads });
        string weight = _b.AddFloats(name + ".weight", BilinearKernel.Diagonal(classes, k), classes, classes, k, k);
        if (!learned) Frozen.Add(weight);
        string upsampled = _b.NamedNode("ConvTranspose", name, new[] { padded, weight },
            OnnxAttribute.Ints("kernel_shape", k, k), OnnxAttribute.Ints("strides", factor, factor));
        return CropLike(upsampled, reference, cropName);
    }

    /// <summary>Element-wise sum (fusion).</summary>
    public string Add(string a, string b, string name) => _b.NamedNode("Add", name, new[] { a, b });

    /// <summary>
    /// Crops <paramref name="x"/> to the spatial size of <paramref name="reference"/>, starting at the offset that
    /// aligns their coordinate maps (Caffe's Crop layer).
    /// </summary>
    private string CropLike(string x, string reference, string name)
    {
        var maps = CoordinateMap.Compute(graph, backbone.Input);
        int offset = CoordinateMap.CropOffset(maps[x], maps[reference]);
        string shape = _b.Node("Shape", new[] { reference });
        string hw = _b.Node("Slice", new[] { shape, _b.AddInt64s(name + ".hw_start", new long[] { 2 }, 1), _b.AddInt64s(name + ".hw_end", new long[] { 4 }, 1) });
        string starts = _b.AddInt64s(name + ".starts", new long[] { offset, offset }, 2);
        string ends = _b.Node("Add", new[] { hw, starts });
        return _b.NamedNode("Slice", name, new[] { x, starts, ends, _b.AddInt64s(name + ".axes", new long[] { 2, 3 }, 2) });
    }

    /// <summary>Zero-pads the image by <paramref name="pixels"/> on every side before the trunk (the reference's pad 100).</summary>
    public void PadInput(int pixels)
    {
        string input = backbone.Input;
        var pads = _b.AddInt64s("data_pad.pads", new long[] { 0, 0, pixels, pixels, 0, 0, pixels, pixels }, 8);
        var consumers = graph.Node.Where(n => n.Input.Contains(input)).ToList();
        string padded = _b.NamedNode("Pad", "data_padded", new[] { input, pads });
        var padNode = graph.Node[^1];
        graph.Node.RemoveAt(graph.Node.Count - 1);
        graph.Node.Insert(0, padNode);
        foreach (var n in consumers)
            for (int i = 0; i < n.Input.Count; i++)
                if (n.Input[i] == input) n.Input[i] = padded;
    }
}
