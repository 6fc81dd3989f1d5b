using System.ComponentModel;
using Fcn.MLNet.Imaging;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace Fcn.MLNet.Mappings;

/// <summary>Input row of the colorize mapping (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnClassMapRow
{
    /// <summary>Class per pixel, row-major (the map as SegmentFcn outputs it).</summary>
    public int[] __FcnClassMap { get; set; } = Array.Empty<int>();

    /// <summary>Map height.</summary>
    public int __FcnHeight { get; set; }

    /// <summary>Map width.</summary>
    public int __FcnWidth { get; set; }
}

/// <summary>Output row of the colorize mapping (internal plumbing of SegmentFcn).</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class FcnColorMaskRow
{
    /// <summary>The class map drawn with the PASCAL VOC palette.</summary>
    [FcnImageType]
    public MLImage? __FcnColorMask { get; set; }
}

/// <summary>Class map → colour image with the PASCAL VOC palette. Stateless, so it saves by contract name.</summary>
[CustomMappingFactoryAttribute(ContractName)]
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ColorizeClassMapFactory : CustomMappingFactory<FcnClassMapRow, FcnColorMaskRow>
{
    /// <summary>Contract name stored in model zips.</summary>
    public const string ContractName = "Fcn.MLNet.ColorizeClassMap.v1";

    private static readonly ColorPalette Palette = ColorPalette.PascalVoc(256);

    /// <inheritdoc />
    public override Action<FcnClassMapRow, FcnColorMaskRow> GetMapping() => static (input, output) =>
    {
        int h = input.__FcnHeight, w = input.__FcnWidth;
        var classes = input.__FcnClassMap;
        if (classes.Length != h * w)
            throw new InvalidOperationException($"SegmentFcn colorize: class map has {classes.Length} values, expected {h}x{w}.");
        var bgra = new byte[4 * classes.Length];
        var rgb = Palette.ToRgbTriples();
        for (int i = 0; i < classes.Length; i++)
        {
            int k = 3 * (classes[i] & 0xFF);
            bgra[4 * i] = rgb[k + 2];
            bgra[4 * i + 1] = rgb[k + 1];
            bgra[4 * i + 2] = rgb[k];
            bgra[4 * i + 3] = 255;
        }
        output.__FcnColorMask = MLImage.CreateFromPixels(w, h, MLPixelFormat.Bgra32, bgra);
    };
}
