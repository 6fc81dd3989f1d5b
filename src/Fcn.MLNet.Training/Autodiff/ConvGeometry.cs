using Fcn.MLNet.Onnx;
using Fcn.MLNet.Onnx.Proto;

namespace Fcn.MLNet.Training.Autodiff;

/// <summary>
/// The 2-D window geometry of a Conv, ConvTranspose or pooling node with every default and <c>auto_pad</c>
/// resolved to explicit numbers from the static shapes: kernel (kh, kw), strides, dilations, pads (top, left,
/// bottom, right), output_padding and groups.
/// </summary>
internal sealed record ConvGeometry(long[] Kernel, long[] Strides, long[] Dilations, long[] Pads, long[] OutputPadding, long Groups)
{
    public long PadBegin(int axis) => Pads[axis];

    public long PadEnd(int axis) => Pads[2 + axis];

    /// <summary>Extent of the dilated kernel along <paramref name="axis"/>: (k − 1)·d + 1.</summary>
    public long Extent(int axis) => (Kernel[axis] - 1) * Dilations[axis] + 1;

    /// <summary>
    /// Reads the geometry of a window node whose (first) input has spatial size <paramref name="inSize"/> and whose
    /// output has spatial size <paramref name="outSize"/>. <paramref name="transposed"/> selects ConvTranspose's
    /// padding rules.
    /// </summary>
    public static ConvGeometry Read(NodeProto node, long[] kernelFromWeight, long[] inSize, long[] outSize, bool transposed)
    {
        if (inSize.Length != 2)
            throw GradientContext.Unsupported(node, $"only 2-D windows are supported, this one has {inSize.Length} spatial dims");
        long[] Ints(string name, long fill, int count)
        {
            var a = OnnxAttribute.Find(node, name);
            return a is null || a.Ints.Count == 0 ? Enumerable.Repeat(fill, count).ToArray() : a.Ints.ToArray();
        }
        var kernel = OnnxAttribute.Find(node, "kernel_shape") is { Ints.Count: > 0 } ks ? ks.Ints.ToArray() : kernelFromWeight;
        var strides = Ints("strides", 1, 2);
        var dilations = Ints("dilations", 1, 2);
        var outputPadding = Ints("output_padding", 0, 2);
        long groups = OnnxAttribute.Find(node, "group")?.I ?? 1;
        string autoPad = OnnxAttribute.Find(node, "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        bool hasOutputShape = OnnxAttribute.Find(node, "output_shape") is { Ints.Count: > 0 };
        var pads = Ints("pads", 0, 4);

        if (transposed && (autoPad is "SAME_UPPER" or "SAME_LOWER" || hasOutputShape))
        {
            // total padding = s(in − 1) + output_padding + (k − 1)d + 1 − out, split by the ONNX rule.
            for (int i = 0; i < 2; i++)
            {
                long total = strides[i] * (inSize[i] - 1) + outputPadding[i] + (kernel[i] - 1) * dilations[i] + 1 - outSize[i];
                long half = total / 2;
                bool upper = autoPad == "SAME_UPPER";
                pads[i] = upper ? half : total - half;
                pads[2 + i] = upper ? total - half : half;
            }
        }
        else if (!transposed && autoPad is "SAME_UPPER" or "SAME_LOWER")
        {
            for (int i = 0; i < 2; i++)
            {
                long total = Math.Max(0, (outSize[i] - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - inSize[i]);
                long half = total / 2;
                pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
                pads[2 + i] = total - pads[i];
            }
        }
        else if (autoPad == "VALID")
        {
            pads = new long[4];
        }
        return new ConvGeometry(kernel, strides, dilations, pads, outputPadding, groups);
    }

    /// <summary>
    /// Attributes of the ConvTranspose that spreads a gradient of spatial size <paramref name="gradSize"/> back
    /// onto an input of spatial size <paramref name="targetSize"/>: the same strides, dilations and leading pads,
    /// with the trailing pad (or output_padding) chosen so the result is exactly the target size.
    /// </summary>
    public AttributeProto[] AdjointTransposeAttributes(long[] gradSize, long[] targetSize, long groups)
    {
        var pads = new long[4];
        var outputPadding = new long[2];
        for (int i = 0; i < 2; i++)
        {
            pads[i] = Pads[i];
            long full = Strides[i] * (gradSize[i] - 1) + Extent(i) - Pads[i];
            long excess = full - targetSize[i];
            if (excess >= 0) pads[2 + i] = excess;
            else outputPadding[i] = -excess;
        }
        return new[]
        {
            OnnxAttribute.Ints("kernel_shape", Kernel),
            OnnxAttribute.Ints("strides", Strides),
            OnnxAttribute.Ints("dilations", Dilations),
            OnnxAttribute.Ints("pads", pads),
            OnnxAttribute.Ints("output_padding", outputPadding),
            OnnxAttribute.Int("group", groups),
        };
    }
}
