using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

/// <summary>
/// Tiled scoring against an independent computation: tiles placed as MMSegmentation's slide inference places them,
/// each tile scored from the definitions, each pixel taken from the tile that owns it (seams halfway through the overlap).
/// </summary>
public class TiledScoringTests
{
    /// <summary>Tile origins along a side of <paramref name="length"/> for tile <paramref name="t"/> and stride <paramref name="stride"/>.</summary>
    private static int[] Origins(int length, int t, int stride)
    {
        int count = (length - t + stride - 1) / stride + 1;
        return Enumerable.Range(0, count).Select(k => Math.Min(k * stride, length - t)).ToArray();
    }

    /// <summary>The tile that owns each position: the seam between tiles k − 1 and k is (origin(k − 1) + t + origin(k)) / 2.</summary>
    private static int[] Owners(int[] origins, int t, int length)
    {
        var owner = new int[length];
        for (int p = 0; p < length; p++)
            for (int k = 1; k < origins.Length; k++)
                if (p >= (origins[k - 1] + t + origins[k]) / 2) owner[p] = k;
        return owner;
    }

    /// <summary>The expected class map and winning score of tiled scoring, from the definitions.</summary>
    private static (int[] Classes, double[] Margin, double[] Best) Reference(TestFcn fcn, TestImage img, int tile, int overlap)
    {
        int H = img.Height, W = img.Width, th = Math.Min(tile, H), tw = Math.Min(tile, W), C = fcn.Classes;
        int[] ys = Origins(H, th, tile - overlap), xs = Origins(W, tw, tile - overlap);
        int[] rowOwner = Owners(ys, th, H), colOwner = Owners(xs, tw, W);
        var planar = img.Planar();
        var tiles = new Dictionary<(int, int), (int[] Classes, double[] Margin, double[] Best)>();
        foreach (int i in ys.Select((_, i) => i))
            foreach (int j in xs.Select((_, j) => j))
            {
                var crop = Ort.Crop(planar, 3, H, W, ys[i], xs[j], th, tw);
                var scores = fcn.ReferenceScores(crop, th, tw, out int h, out int w);
                if (h != th || w != tw) scores = Support.Reference.ResizeBilinearHalfPixel(scores, C, h, w, th, tw);
                tiles[(i, j)] = Support.Reference.Argmax(scores, C, th * tw);
            }
        var classes = new int[H * W];
        var margin = new double[H * W];
        var best = new double[H * W];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = rowOwner[y], j = colOwner[x], p = (y - ys[i]) * tw + (x - xs[j]);
                var t = tiles[(i, j)];
                (classes[y * W + x], margin[y * W + x], best[y * W + x]) = (t.Classes[p], t.Margin[p], t.Best[p]);
            }
        return (classes, margin, best);
    }

    private static void AssertMatches((int[] Classes, double[] Margin, double[] Best) expected, int[] map, float[] best, string what)
    {
        Assert.That(map, Has.Length.EqualTo(expected.Classes.Length), what);
        int wrong = Enumerable.Range(0, map.Length).Count(p => map[p] != expected.Classes[p] && expected.Margin[p] > 1e-4);
        Assert.That(wrong, Is.Zero, $"{what}: pixels whose class differs from the tiled reference");
        Assert.That(Enumerable.Range(0, map.Length).Max(p => Math.Abs(best[p] - expected.Best[p])), Is.LessThan(1e-4), $"{what}: winning score");
    }

    [TestCase(480, 360, 128, 32, 8, 11)] // CamVid-sized, coarse stride-8 net: 5 × 4 tiles, the last row and column moved back
    [TestCase(97, 130, 64, 16, 1, 11)]   // odd sizes, full-resolution net
    [TestCase(200, 70, 96, 40, 4, 11)]   // one tile row (70 < 96), three tile columns
    [TestCase(50, 40, 64, 16, 4, 11)]    // smaller than a tile: one tile, the whole image
    [TestCase(200, 150, 64, 16, 4, 300)] // more classes than a byte holds: int32 tiles and stitching
    public void Tiles_are_placed_scored_and_stitched_as_the_reference_does(int width, int height, int tile, int overlap, int pool, int classes)
    {
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes, seed: 41 + pool, pool: pool, weightScale: 1f / 16);
        var images = new[] { TestImage.Gradient(width, height, 3), TestImage.Gradient(height, width, 4) }; // rows of different sizes in one IDataView
        var data = TestImage.ToDataView(ml, images);
        var tiling = new TiledScoring { TileSize = tile, Overlap = overlap };
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ScoreColumnName = "Score", Tiling = tiling }).Fit(data);
        var scored = model.Transform(data);
        var maps = scored.GetColumn<int[]>("Segmentation").ToList();
        var best = scored.GetColumn<float[]>("Score").ToList();
        for (int i = 0; i < images.Length; i++)
            AssertMatches(Reference(fcn, images[i], tile, overlap), maps[i], best[i], $"image {i} ({images[i].Width}x{images[i].Height})");
        Assert.That(maps[0].Distinct().Count(), Is.GreaterThan(2), "the test net must predict several classes");
        if (classes > 255) Assert.That(maps.Max(m => m.Max()), Is.GreaterThan(255), "ids beyond a byte must be exercised");
        ModelLifetime.Release(model);
    }

    [Test]
    public void A_net_without_context_gives_the_whole_image_map_exactly_and_a_zip_keeps_the_tiling()
    {
        // A 1×1 convolution sees one pixel: where the tiles are cut cannot matter.
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 5, seed: 2, pool: 1, weightScale: 1f / 16);
        var img = TestImage.Gradient(300, 170, 9);
        var data = TestImage.ToDataView(ml, new[] { img });
        var whole = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes }).Fit(data);
        var tiledOptions = new SegmentFcnOptions { ModelBytes = fcn.Bytes, Tiling = new TiledScoring { TileSize = 64, Overlap = 8 } };
        var tiled = ml.Transforms.SegmentFcn(tiledOptions).Fit(data);
        var expected = whole.Transform(data).GetColumn<int[]>("Segmentation").Single();
        Assert.That(tiled.Transform(data).GetColumn<int[]>("Segmentation").Single(), Is.EqualTo(expected));

        // With test-time flipping too (a 1×1 net is mirror-symmetric: the map must not change).
        tiledOptions.TestTimeAugmentation = new TestTimeAugmentation { HorizontalFlip = true };
        var both = ml.Transforms.SegmentFcn(tiledOptions).Fit(data);
        Assert.That(both.Transform(data).GetColumn<int[]>("Segmentation").Single(), Is.EqualTo(expected));

        string dir = TestPaths.NewTempFolder(), png = Path.Combine(dir, "gradient.png"), zip = Path.Combine(dir, "tiled.zip");
        using (var f = File.Create(png)) Fcn.MLNet.Imaging.PngEncoder.WriteRgb8(f, img.Width, img.Height, img.Rgb);
        var files = Fcn.MLNet.Scoring.SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelBytes = fcn.Bytes, Tiling = new TiledScoring { TileSize = 64, Overlap = 8 } });
        ml.Model.Save(files, ml.Data.LoadFromEnumerable(Array.Empty<Fcn.MLNet.Scoring.ImagePathRow>()).Schema, zip);
        var loaded = ml.Model.Load(zip, out _);
        Assert.That(Fcn.MLNet.Scoring.SegmentationScoring.Score(ml, loaded, new[] { png }).Single().ClassMap.Labels, Is.EqualTo(expected));
        foreach (var m in new ITransformer[] { whole, tiled, both, files, loaded }) ModelLifetime.Release(m);
    }

    [TestCase(16, 4, "32 to 16384")]
    [TestCase(64, 64, "overlap < tile size")]
    [TestCase(64, -1, "overlap < tile size")]
    public void Bad_tiling_is_refused_with_the_setting_named(int tile, int overlap, string message)
    {
        var fcn = TestFcn.Create(3, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => new MLContext().Transforms.SegmentFcn(new SegmentFcnOptions
        {
            ModelBytes = fcn.Bytes, Tiling = new TiledScoring { TileSize = tile, Overlap = overlap },
        }));
        Assert.That(e!.Message, Does.Contain(message));
    }
}
