using System.ComponentModel;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Fcn.MLNet.Mappings;

/// <summary>Input row of the image-to-tensor mapping (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnImageRow
{
    /// <summary>The image (a temporary copy of the user's image column).</summary>
    [FcnImageType]
    public MLImage? __FcnImage { get; set; }
}

/// <summary>Output row of the image-to-tensor mapping (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnTensorRow
{
    /// <summary>Planar pixels, 3·H·W bytes, in the model's channel order (the graph casts them to float).</summary>
    public byte[] __FcnPixels { get; set; } = Array.Empty<byte>();

    /// <summary>(H, W).</summary>
    [VectorType(2)]
    public long[] __FcnSize { get; set; } = new long[2];

    /// <summary>Image height.</summary>
    public int __FcnHeight { get; set; }

    /// <summary>Image width.</summary>
    public int __FcnWidth { get; set; }
}

/// <summary>Shared code of the two channel-order mappings.</summary>
internal static class ImageTensor
{
    /// <summary>Copies an MLImage (BGRA32 or RGBA32, any stride) into planar channels in the requested order.</summary>
    public static void Fill(FcnImageRow input, FcnTensorRow output, bool bgr)
    {
        var image = input.__FcnImage ?? throw new InvalidOperationException(
            "SegmentFcn: the image column holds no image for this row (missing or unreadable file?).");
        int h = image.Height, w = image.Width;
        var layout = Imaging.MLImageLayout.Of(image, "SegmentFcn image");
        var pixels = image.Pixels;
        int stride = layout.Stride;
        int first = bgr ? layout.Blue : layout.Red, last = bgr ? layout.Red : layout.Blue;

        int plane = h * w;
        var dst = output.__FcnPixels.Length == 3 * plane ? output.__FcnPixels : new byte[3 * plane];
        for (int y = 0; y < h; y++)
        {
            var row = pixels.Slice(y * stride, 4 * w);
            var c0 = dst.AsSpan(y * w, w);
            var c1 = dst.AsSpan(plane + y * w, w);
            var c2 = dst.AsSpan(2 * plane + y * w, w);
            for (int x = 0, i = 0; x < w; x++, i += 4)
            {
                c0[x] = row[i + first];
                c1[x] = row[i + 1];
                c2[x] = row[i + last];
            }
        }
        output.__FcnPixels = dst;
        output.__FcnSize = new long[] { h, w };
        output.__FcnHeight = h;
        output.__FcnWidth = w;
    }
}

/// <summary>Image → planar RGB tensor. Stateless, so it saves by contract name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ImageToRgbTensorFactory : CustomMappingFactory<FcnImageRow, FcnTensorRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ImageToRgbTensor.v1";

    /// <inheritdoc />
    public override Action<FcnImageRow, FcnTensorRow> GetMapping() => static (i, o) => ImageTensor.Fill(i, o, bgr: false);
}

/// <summary>Image → planar BGR tensor. Stateless, so it saves by contract name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ImageToBgrTensorFactory : CustomMappingFactory<FcnImageRow, FcnTensorRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ImageToBgrTensor.v1";

    /// <inheritdoc />
    public override Action<FcnImageRow, FcnTensorRow> GetMapping() => static (i, o) => ImageTensor.Fill(i, o, bgr: true);
}
