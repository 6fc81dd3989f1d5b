namespace Fcn.MLNet.Training.Architectures;

/// <summary>
/// The bilinear interpolation kernel that initialises FCN's in-network upsampling (paper 3.3; <c>upsample_filt</c>
/// in the reference <c>surgery.py</c>): for size k, factor = ⌊(k+1)/2⌋, centre = factor − 1 (k odd) or
/// factor − 0.5 (k even), w[y, x] = (1 − |y − centre|/factor)(1 − |x − centre|/factor). Upsampling by f uses k = 2f.
/// </summary>
public static class BilinearKernel
{
    /// <summary>The k×k kernel, row-major.</summary>
    public static float[] Create(int size)
    {
        if (size < 1) throw new ArgumentOutOfRangeException(nameof(size));
        int factor = (size + 1) / 2;
        double center = size % 2 == 1 ? factor - 1 : factor - 0.5;
        var w = new float[size * size];
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
                w[y * size + x] = (float)((1 - Math.Abs(y - center) / factor) * (1 - Math.Abs(x - center) / factor));
        return w;
    }

    /// <summary>
    /// ConvTranspose weights <c>[channels, channels, k, k]</c> that upsample each channel on its own: the kernel on
    /// the diagonal (channel c → c), zeros elsewhere — <c>interp</c> in the reference surgery.
    /// </summary>
    public static float[] Diagonal(int channels, int size)
    {
        var kernel = Create(size);
        int plane = size * size;
        var w = new float[channels * channels * plane];
        for (int c = 0; c < channels; c++) Array.Copy(kernel, 0, w, (c * channels + c) * plane, plane);
        return w;
    }
}
