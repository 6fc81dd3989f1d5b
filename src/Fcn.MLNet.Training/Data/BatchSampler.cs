namespace Fcn.MLNet.Training.Data;

/// <summary>How <see cref="BatchSampler"/> shapes batches.</summary>
public sealed record BatchSamplerOptions
{
    /// <summary>Images per batch.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>
    /// Fixed training size (height, width): each image is padded (labels with the ignore label) up to at least this
    /// size and randomly cropped to it. Null trains at native size: a batch is padded to its largest image.
    /// </summary>
    public (int Height, int Width)? CropSize { get; init; }

    /// <summary>
    /// Scale jitter: each sample is resized by a factor drawn uniformly from [Min, Max] (image bilinear with half-pixel
    /// centres, labels nearest) before mirroring and cropping; null keeps the native scale. Without
    /// <see cref="CropSize"/> the factor is rounded to a multiple of 1/8, so that whole-image training meets a few
    /// sizes (the engine keeps one ONNX Runtime session per batch shape).
    /// </summary>
    public (double Min, double Max)? ScaleRange { get; init; }

    /// <summary>Whether [min, max] is a usable scale-jitter range: 0 &lt; min ≤ max ≤ 16.</summary>
    public static bool IsValidScaleRange(double min, double max) => min > 0 && min <= max && max <= 16;

    /// <summary>Throws unless <paramref name="range"/> is null or <see cref="IsValidScaleRange"/>.</summary>
    /// <exception cref="ArgumentException">The range is reversed, not positive or above 16.</exception>
    public static void CheckScaleRange((double Min, double Max)? range)
    {
        if (range is { } r && !IsValidScaleRange(r.Min, r.Max))
            throw new ArgumentException($"Scale jitter needs 0 < min ≤ max ≤ 16, got {r.Min}:{r.Max}.", nameof(range));
    }

    /// <summary>Flip each sample horizontally with probability ½.</summary>
    public bool Mirror { get; init; }

    /// <summary>Rotate each sample with probability ½ by an angle drawn uniformly from ±this many degrees (labels
    /// nearest, new borders filled with the ignore label); null does not rotate.</summary>
    public double? MaxRotationDegrees { get; init; }

    /// <summary>Colour distortion (brightness, contrast, saturation, hue) of each sample; null leaves colours alone.
    /// Needs <see cref="Preprocessing"/> to work in pixel units.</summary>
    public PhotometricDistortion? Photometric { get; init; }

    /// <summary>Blur each sample with probability ½ with a Gaussian whose σ (pixels) is drawn from [Min, Max]; null does not blur.</summary>
    public (double Min, double Max)? BlurSigma { get; init; }

    /// <summary>The normalisation the samples were made with (to distort colours in pixel units).</summary>
    public ImagePreprocessing? Preprocessing { get; init; }

    /// <summary>Throws naming the first augmentation setting that is out of range.</summary>
    public void ValidateAugmentation()
    {
        CheckScaleRange(ScaleRange);
        if (MaxRotationDegrees is { } r && !(r >= 0 && r <= 180))
            throw new ArgumentException($"Rotation (--rotate) needs a maximum angle in [0, 180] degrees, got {r}.");
        if (BlurSigma is { } b && !(b.Min >= 0 && b.Min <= b.Max && b.Max <= 50))
            throw new ArgumentException($"Blur (--blur) needs 0 ≤ min σ ≤ max σ ≤ 50 pixels, got {b.Min}:{b.Max}.");
        Photometric?.Validate();
        if (MaxRotationDegrees is not null && IgnoreLabel is null)
            throw new ArgumentException("Rotation fills new borders with the ignore label; set IgnoreLabel.");
    }

    /// <summary>
    /// Data-parallel share: with (r, N), batch b holds samples r·B … r·B + B − 1 of global batch b, a global batch being
    /// N × <see cref="BatchSize"/> consecutive positions of the single-process order (same seed, same draws per sample).
    /// (0, 1), the default, is the whole batch.
    /// </summary>
    public (int Rank, int Size) Shard { get; init; } = (0, 1);

    /// <summary>Shuffle the samples every epoch.</summary>
    public bool Shuffle { get; init; } = true;

    /// <summary>Label written into padding (it must be the trainer's ignore label); null when there is none, and then
    /// a sample that would need padding is an error.</summary>
    public int? IgnoreLabel { get; init; } = 255;

    /// <summary>Image value written into padding (0 is the mean after normalisation).</summary>
    public float PadValue { get; init; }

    /// <summary>Seed of shuffling, cropping and mirroring.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Background threads that load, augment and collate batches; 0 does it on the consumer's thread. The
    /// batches do not depend on it.</summary>
    public int Workers { get; init; }

    /// <summary>Batches each worker may prepare ahead of the consumer (bounds the memory held by prefetching).</summary>
    public int PrefetchFactor { get; init; } = 2;
}

/// <summary>
/// Draws batches from a <see cref="SegmentationDataset"/>: epoch after epoch, shuffled, each sample optionally
/// rescaled (scale jitter), mirrored, rotated, then either randomly cropped/padded to a fixed size or kept at native size
/// (a batch padded to its largest image, with the ignore label in the padding so it adds no loss), then colour-distorted
/// and blurred. Samples are loaded when drawn, optionally on background workers (see <see cref="Batches(long)"/>).
/// </summary>
public sealed class BatchSampler
{
    private readonly SegmentationDataset _dataset;
    private readonly BatchSamplerOptions _options;
    private readonly Dictionary<int, int[]> _orders = new();

    /// <summary>Creates a sampler over <paramref name="dataset"/>.</summary>
    public BatchSampler(SegmentationDataset dataset, BatchSamplerOptions? options = null)
    {
        _dataset = dataset;
        _options = options ?? new BatchSamplerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.BatchSize, 1);
        if (_options.Shard.Size < 1 || _options.Shard.Rank < 0 || _options.Shard.Rank >= _options.Shard.Size)
            throw new ArgumentException($"Shard must be a rank in [0, size) with size ≥ 1, got {_options.Shard}.");
        if (_options.Workers < 0 || _options.PrefetchFactor < 1)
            throw new ArgumentException($"Data loading needs Workers ≥ 0 and PrefetchFactor ≥ 1, got {_options.Workers} and {_options.PrefetchFactor}.");
        if (_options.CropSize is { } c && (c.Height < 1 || c.Width < 1))
            throw new ArgumentException($"Crop size must be positive, got {c.Width}x{c.Height}.");
        _options.ValidateAugmentation();
        if (_options.Photometric is not null && _options.Preprocessing is null)
            throw new ArgumentException("Photometric distortion needs the samples' Preprocessing (to work in pixel units).");
    }

    /// <summary>An endless sequence of batches.</summary>
    public IEnumerable<TrainingBatch> Batches() => Batches(long.MaxValue);

    /// <summary>
    /// The first <paramref name="count"/> batches. Sample positions run on through the epochs (position p is sample
    /// p mod N of epoch p / N); each epoch's order is shuffled by (seed, epoch), and each sample's augmentation draws
    /// from its own generator seeded by (seed, epoch, position), so the batches are the same whatever the number of
    /// <see cref="BatchSamplerOptions.Workers"/>. With workers, batches are loaded, augmented and collated in the
    /// background, at most Workers × PrefetchFactor batches ahead of the consumer.
    /// </summary>
    public IEnumerable<TrainingBatch> Batches(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (_options.Workers == 0) return Synchronous(count);
        return OrderedPrefetch.Run(count, _options.Workers, _options.Workers * _options.PrefetchFactor, Batch);
    }

    private IEnumerable<TrainingBatch> Synchronous(long count)
    {
        for (long b = 0; b < count; b++) yield return Batch(b);
    }

    /// <summary>Batch <paramref name="index"/> of the stream (thread-safe).</summary>
    private TrainingBatch Batch(long index)
    {
        int n = _dataset.Count, size = _options.BatchSize;
        var (rank, ranks) = _options.Shard;
        var rows = new int[size];
        var generators = new Random[size];
        for (int i = 0; i < size; i++)
        {
            long position = (index * size * ranks) + (rank * size) + i;
            int epoch = checked((int)(position / n)), k = (int)(position % n);
            rows[i] = Order(epoch)[k];
            generators[i] = new Random(SeedMix.Of(_options.Seed, epoch, k));
        }
        var loaded = _dataset.Load(rows);
        var samples = new List<SegmentationSample>(size);
        for (int i = 0; i < size; i++) samples.Add(Augmented(loaded[i], generators[i]));
        return Collate(samples);
    }

    /// <summary>The sample order of <paramref name="epoch"/>: shuffled by (seed, epoch), or the dataset's order.</summary>
    private int[] Order(int epoch)
    {
        lock (_orders)
        {
            if (_orders.TryGetValue(epoch, out var order)) return order;
            order = Enumerable.Range(0, _dataset.Count).ToArray();
            if (_options.Shuffle) new Random(SeedMix.Of(_options.Seed, epoch)).Shuffle(order);
            foreach (int old in _orders.Keys.Where(e => e < epoch - 1).ToList()) _orders.Remove(old); // workers lag at most an epoch
            _orders[epoch] = order;
            return order;
        }
    }

    private SegmentationSample Augmented(SegmentationSample s, Random random)
    {
        if (_options.ScaleRange is { } range) s = Rescaled(s, DrawScale(range, random));
        if (_options.Mirror && random.Next(2) == 1) s = Mirrored(s);
        if (_options.MaxRotationDegrees is { } maxDegrees && random.Next(2) == 1)
        {
            double degrees = (random.NextDouble() * 2 - 1) * maxDegrees;
            s = RandomRotation.Rotate(s, degrees, _options.IgnoreLabel!.Value, _options.PadValue);
        }
        if (_options.CropSize is { } crop) s = RandomCrop(s, crop.Height, crop.Width, random);
        if (_options.Photometric is { } photometric) s = Distorted(s, photometric, _options.Preprocessing!, random);
        if (_options.BlurSigma is { } sigma && random.Next(2) == 1)
            s = GaussianBlur.Blur(s, sigma.Min + (random.NextDouble() * (sigma.Max - sigma.Min)));
        return s;
    }

    private double DrawScale((double Min, double Max) range, Random random)
    {
        double f = range.Min + (random.NextDouble() * (range.Max - range.Min));
        return _options.CropSize is null ? Math.Max(0.125, Math.Round(f * 8) / 8) : f;
    }

    /// <summary>
    /// The sample resized by <paramref name="factor"/> (sizes rounded, at least 1): the image bilinearly with half-pixel
    /// centres (PyTorch <c>align_corners=False</c>, edges clamped), the labels by nearest neighbour.
    /// </summary>
    public static SegmentationSample Rescaled(SegmentationSample s, double factor)
    {
        int h = s.Height, w = s.Width;
        int outH = Math.Max(1, (int)Math.Round(h * factor)), outW = Math.Max(1, (int)Math.Round(w * factor));
        if (outH == h && outW == w) return s;
        var (y0, y1, fy) = BilinearTaps(h, outH);
        var (x0, x1, fx) = BilinearTaps(w, outW);
        var image = new float[3 * outH * outW];
        var labels = new int[outH * outW];
        for (int c = 0; c < 3; c++)
        {
            var plane = s.Image.AsSpan(c * h * w, h * w);
            for (int y = 0; y < outH; y++)
            {
                int o = (c * outH + y) * outW;
                for (int x = 0; x < outW; x++)
                {
                    float top = plane[y0[y] * w + x0[x]] + (fx[x] * (plane[y0[y] * w + x1[x]] - plane[y0[y] * w + x0[x]]));
                    float bottom = plane[y1[y] * w + x0[x]] + (fx[x] * (plane[y1[y] * w + x1[x]] - plane[y1[y] * w + x0[x]]));
                    image[o + x] = top + (fy[y] * (bottom - top));
                }
            }
        }
        for (int y = 0; y < outH; y++)
        {
            int sy = Math.Min(h - 1, (int)((y + 0.5) * h / outH));
            for (int x = 0; x < outW; x++)
                labels[y * outW + x] = s.Labels.Labels[sy * w + Math.Min(w - 1, (int)((x + 0.5) * w / outW))];
        }
        return new SegmentationSample(image, new Imaging.LabelMap(outW, outH, labels));
    }

    private static (int[] Low, int[] High, float[] Fraction) BilinearTaps(int size, int outSize)
    {
        var low = new int[outSize];
        var high = new int[outSize];
        var fraction = new float[outSize];
        double scale = (double)size / outSize;
        for (int i = 0; i < outSize; i++)
        {
            double src = Math.Clamp(((i + 0.5) * scale) - 0.5, 0, size - 1);
            low[i] = (int)src;
            high[i] = Math.Min(low[i] + 1, size - 1);
            fraction[i] = (float)(src - low[i]);
        }
        return (low, high, fraction);
    }

    /// <summary>
    /// The sample with <paramref name="distortion"/> applied in pixel units: the planar image is mapped back to RGB
    /// 0–255 through <paramref name="preprocessing"/>'s affine map and channel order, distorted, and normalised again.
    /// </summary>
    public static SegmentationSample Distorted(SegmentationSample s, PhotometricDistortion distortion, ImagePreprocessing preprocessing, Random random)
    {
        int plane = s.Height * s.Width;
        var (mul, add) = preprocessing.AffineCoefficients();
        bool bgr = preprocessing.ChannelOrder == ChannelOrder.Bgr;
        var rgb = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            int target = bgr ? 2 - c : c; // model channel c holds R, G, B (or B, G, R)
            for (int i = 0; i < plane; i++) rgb[target * plane + i] = (s.Image[c * plane + i] - add[c]) / mul[c];
        }
        distortion.Apply(rgb, plane, random);
        var image = new float[3 * plane];
        for (int c = 0; c < 3; c++)
        {
            int source = bgr ? 2 - c : c;
            for (int i = 0; i < plane; i++) image[c * plane + i] = rgb[source * plane + i] * mul[c] + add[c];
        }
        return new SegmentationSample(image, s.Labels);
    }

    /// <summary>The sample flipped left–right.</summary>
    public static SegmentationSample Mirrored(SegmentationSample s)
    {
        int h = s.Height, w = s.Width;
        var image = new float[s.Image.Length];
        var labels = new int[h * w];
        for (int y = 0; y < h; y++)
        {
            for (int c = 0; c < 3; c++)
            {
                s.Image.AsSpan((c * h + y) * w, w).CopyTo(image.AsSpan((c * h + y) * w, w));
                image.AsSpan((c * h + y) * w, w).Reverse();
            }
            s.Labels.Labels.AsSpan(y * w, w).CopyTo(labels.AsSpan(y * w, w));
            labels.AsSpan(y * w, w).Reverse();
        }
        return new SegmentationSample(image, new Imaging.LabelMap(w, h, labels));
    }

    /// <summary>Pads (bottom/right) to at least height×width, then takes a random height×width window.</summary>
    public SegmentationSample RandomCrop(SegmentationSample s, int height, int width, Random random)
    {
        int top = s.Height > height ? random.Next(s.Height - height + 1) : 0;
        int left = s.Width > width ? random.Next(s.Width - width + 1) : 0;
        return Window(s, top, left, height, width);
    }

    /// <summary>The height×width window at (top, left); outside the sample, PadValue and the ignore label.</summary>
    public SegmentationSample Window(SegmentationSample s, int top, int left, int height, int width)
    {
        int rows = Math.Min(height, s.Height - top), cols = Math.Min(width, s.Width - left);
        if (_options.IgnoreLabel is not int pad)
        {
            if (rows < height || cols < width)
                throw new InvalidOperationException(
                    $"A {s.Width}x{s.Height} sample must be padded to {width}x{height}, but there is no ignore label to pad its labels with (set IgnoreLabel).");
            pad = 0;
        }
        var image = new float[3 * height * width];
        var labels = new int[height * width];
        Array.Fill(labels, pad);
        if (_options.PadValue != 0) Array.Fill(image, _options.PadValue);
        for (int y = 0; y < rows; y++)
        {
            for (int c = 0; c < 3; c++)
                s.Image.AsSpan((c * s.Height + top + y) * s.Width + left, cols).CopyTo(image.AsSpan((c * height + y) * width, cols));
            s.Labels.Labels.AsSpan((top + y) * s.Width + left, cols).CopyTo(labels.AsSpan(y * width, cols));
        }
        return new SegmentationSample(image, new Imaging.LabelMap(width, height, labels));
    }

    private TrainingBatch Collate(List<SegmentationSample> samples)
    {
        int h = samples.Max(s => s.Height), w = samples.Max(s => s.Width);
        int n = samples.Count, plane = h * w;
        var images = new float[n * 3 * plane];
        var labels = new int[n * plane];
        for (int i = 0; i < n; i++)
        {
            var s = samples[i].Height == h && samples[i].Width == w ? samples[i] : Window(samples[i], 0, 0, h, w);
            s.Image.CopyTo(images, i * 3 * plane);
            s.Labels.Labels.CopyTo(labels, i * plane);
        }
        return new TrainingBatch(n, h, w, images, labels);
    }
}
