namespace Fcn.MLNet;

/// <summary>
/// Tiled (sliding-window) scoring for <see cref="SegmentFcnOptions.Tiling"/>: the image is scored in square tiles of
/// <see cref="TileSize"/> pixels that overlap by at least <see cref="Overlap"/> pixels (the last row and column of
/// tiles are moved back to end at the image's edge, as MMSegmentation's slide inference places them), so memory follows
/// the tile, not the image. Each pixel takes its class from the tile in which it lies farthest from a cut edge: tiles
/// meet halfway through their overlap, so every pixel near a seam keeps at least Overlap / 2 pixels of context on the
/// cut side. An image no larger than a tile is scored whole.
/// </summary>
public sealed record TiledScoring
{
    /// <summary>Tile side in pixels (32–16384).</summary>
    public int TileSize { get; init; } = 1024;

    /// <summary>Least overlap of neighbouring tiles in pixels (0 ≤ overlap &lt; tile size); choose at least twice the context
    /// a prediction needs (the model's effective receptive-field radius).</summary>
    public int Overlap { get; init; } = 256;

    /// <summary>Throws naming the bad setting.</summary>
    public void Validate()
    {
        if (TileSize is < 32 or > 16384) throw new ArgumentException($"Tiled scoring needs a tile size of 32 to 16384 pixels, got {TileSize} (TiledScoring.TileSize, --tile).");
        if (Overlap < 0 || Overlap >= TileSize)
            throw new ArgumentException($"Tiled scoring needs 0 ≤ overlap < tile size ({TileSize}), got {Overlap} (TiledScoring.Overlap, --tile-overlap).");
    }
}
