using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

public class ShiftAndStitchTests
{
    [Test]
    public void Shift_and_stitch_gives_a_prediction_per_pixel_from_the_window_at_that_pixel()
    {
        // The test FCN averages 4×4 blocks (stride 4) and scores them with a 1×1 conv. With f = S = 4 the stitched map
        // scores, at every pixel p, the 4×4 window starting at p (zero beyond the image).
        var ml = new MLContext(seed: 0);
        var fcn = TestFcn.Create(classes: 3, seed: 5, pool: 4, weightScale: 0.3f);
        var img = TestImage.Random(16, 12, 8);
        var data = TestImage.ToDataView(ml, new[] { img });
        var map = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, ShiftAndStitch = (4, 4) })
            .Fit(data).Transform(data).GetColumn<int[]>("Segmentation").Single();

        var planar = img.Planar();
        int h = img.Height, w = img.Width, plane = h * w;
        var expected = new int[plane];
        var margin = new double[plane];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                var scores = new double[fcn.Classes];
                for (int k = 0; k < fcn.Classes; k++)
                {
                    double s = fcn.Bias[k];
                    for (int c = 0; c < 3; c++)
                    {
                        double sum = 0;
                        for (int dy = 0; dy < 4; dy++)
                            for (int dx = 0; dx < 4; dx++)
                                if (y + dy < h && x + dx < w) sum += planar[c * plane + (y + dy) * w + x + dx];
                        s += fcn.Weight[3 * k + c] * sum / 16;
                    }
                    scores[k] = s;
                }
                var order = scores.Select((v, k) => (v, k)).OrderByDescending(t => t.v).ToArray();
                expected[y * w + x] = order[0].k;
                margin[y * w + x] = order[0].v - order[1].v;
            }
        int mismatches = Enumerable.Range(0, plane).Count(p => margin[p] > 1e-4 && map[p] != expected[p]);
        Assert.That(mismatches, Is.Zero);
        Assert.That(map.Distinct().Count(), Is.GreaterThan(1), "a dense map, not one class everywhere");
    }

    [Test]
    public void Shift_and_stitch_is_refused_for_a_factor_that_does_not_divide_the_stride_or_a_full_resolution_model()
    {
        var ml = new MLContext();
        Assert.Throws<ArgumentException>(() => ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = TestFcn.Create(3, 1, pool: 4).Bytes, ShiftAndStitch = (4, 3) }));
        var e = Assert.Throws<ArgumentException>(() => ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = TestFcn.Create(3, 1).Bytes, ShiftAndStitch = (4, 4) }));
        Assert.That(e!.Message, Does.Contain("coarse output"));
    }
}
