namespace Fcn.MLNet.Imaging;

/// <summary>
/// Converts one reconstructed (unfiltered) PNG scanline into one <see cref="ushort"/> per sample:
/// sub-byte samples are extracted most-significant bits first without rescaling, 16-bit samples are
/// read big-endian.
/// </summary>
internal static class PngSampleUnpacker
{
    /// <summary>
    /// Unpacks <paramref name="pixels"/> pixels of <paramref name="row"/> into <paramref name="samples"/>,
    /// placing pixel i at x = <paramref name="startX"/> + i * <paramref name="stepX"/> of image row <paramref name="y"/>.
    /// </summary>
    public static void UnpackRow(
        ReadOnlySpan<byte> row, int bitDepth, int channels, int pixels, ushort[] samples, int y, int imageWidth, int startX, int stepX)
    {
        long rowStart = (long)y * imageWidth * channels;
        int count = pixels * channels;
        if (stepX == 1)
        {
            Span<ushort> destination = samples.AsSpan((int)(rowStart + ((long)startX * channels)), count);
            UnpackContiguous(row, bitDepth, destination);
            return;
        }

        for (int i = 0; i < pixels; i++)
        {
            long target = rowStart + ((long)(startX + (i * stepX)) * channels);
            for (int c = 0; c < channels; c++)
            {
                int s = (i * channels) + c;
                samples[target + c] = ReadSample(row, bitDepth, s);
            }
        }
    }

    private static void UnpackContiguous(ReadOnlySpan<byte> row, int bitDepth, Span<ushort> destination)
    {
        switch (bitDepth)
        {
            case 8:
                row = row[..destination.Length];
                for (int i = 0; i < row.Length; i++)
                {
                    destination[i] = row[i];
                }

                break;
            case 16:
                row = row[..(destination.Length * 2)];
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = (ushort)((row[2 * i] << 8) | row[(2 * i) + 1]);
                }

                break;
            default:
                for (int i = 0; i < destination.Length; i++)
                {
                    destination[i] = ReadSample(row, bitDepth, i);
                }

                break;
        }
    }

    private static ushort ReadSample(ReadOnlySpan<byte> row, int bitDepth, int index)
    {
        switch (bitDepth)
        {
            case 8:
                return row[index];
            case 16:
                return (ushort)((row[2 * index] << 8) | row[(2 * index) + 1]);
            default:
                int bit = index * bitDepth;
                int shift = 8 - bitDepth - (bit & 7);
                return (ushort)((row[bit >> 3] >> shift) & ((1 << bitDepth) - 1));
        }
    }
}
