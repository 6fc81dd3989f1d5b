using System.Numerics;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// The five PNG scanline filter types (filter method 0): None, Sub, Up, Average and Paeth.
/// Filters work on bytes; <c>bpp</c> is the number of bytes per complete pixel, rounded up to 1.
/// </summary>
internal static class PngFilters
{
    public const byte None = 0;
    public const byte Sub = 1;
    public const byte Up = 2;
    public const byte Average = 3;
    public const byte Paeth = 4;

    /// <summary>
    /// Reverses filter <paramref name="filterType"/> on <paramref name="row"/> in place.
    /// <paramref name="prior"/> is the already reconstructed previous row of the same pass
    /// (all zeros for the first row). Returns false for an unknown filter type.
    /// </summary>
    public static bool TryUnfilter(byte filterType, Span<byte> row, ReadOnlySpan<byte> prior, int bpp)
    {
        int n = row.Length;
        switch (filterType)
        {
            case None:
                return true;
            case Sub:
                for (int i = bpp; i < n; i++)
                {
                    row[i] = (byte)(row[i] + row[i - bpp]);
                }

                return true;
            case Up:
                AddInPlace(row, prior[..n]);
                return true;
            case Average:
                for (int i = 0; i < bpp && i < n; i++)
                {
                    row[i] = (byte)(row[i] + (prior[i] >> 1));
                }

                for (int i = bpp; i < n; i++)
                {
                    row[i] = (byte)(row[i] + ((row[i - bpp] + prior[i]) >> 1));
                }

                return true;
            case Paeth:
                for (int i = 0; i < bpp && i < n; i++)
                {
                    row[i] = (byte)(row[i] + prior[i]);
                }

                for (int i = bpp; i < n; i++)
                {
                    row[i] = (byte)(row[i] + PaethPredictor(row[i - bpp], prior[i], prior[i - bpp]));
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Applies filter <paramref name="filterType"/> to <paramref name="row"/> (raw bytes) given the raw
    /// previous row <paramref name="prior"/>, writing <c>row.Length</c> filtered bytes to <paramref name="output"/>.
    /// </summary>
    public static void Filter(byte filterType, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output)
    {
        int n = row.Length;
        switch (filterType)
        {
            case None:
                row.CopyTo(output);
                break;
            case Sub:
                for (int i = 0; i < bpp && i < n; i++)
                {
                    output[i] = row[i];
                }

                for (int i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - row[i - bpp]);
                }

                break;
            case Up:
                for (int i = 0; i < n; i++)
                {
                    output[i] = (byte)(row[i] - prior[i]);
                }

                break;
            case Average:
                for (int i = 0; i < bpp && i < n; i++)
                {
                    output[i] = (byte)(row[i] - (prior[i] >> 1));
                }

                for (int i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - ((row[i - bpp] + prior[i]) >> 1));
                }

                break;
            case Paeth:
                for (int i = 0; i < bpp && i < n; i++)
                {
                    output[i] = (byte)(row[i] - prior[i]);
                }

                for (int i = bpp; i < n; i++)
                {
                    output[i] = (byte)(row[i] - PaethPredictor(row[i - bpp], prior[i], prior[i - bpp]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filterType), $"Unknown PNG filter type {filterType}.");
        }
    }

    /// <summary>
    /// Filters <paramref name="row"/> with each of the five filters and keeps the one whose output has the
    /// smallest sum of absolute values (bytes read as signed), the heuristic the PNG specification suggests.
    /// Writes the winner to <paramref name="output"/> and returns its filter type.
    /// <paramref name="scratch"/> must be at least as long as the row.
    /// </summary>
    public static byte FilterAdaptive(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, Span<byte> output, Span<byte> scratch)
    {
        Filter(None, row, prior, bpp, output);
        byte best = None;
        long bestSum = SumOfAbsoluteSigned(output[..row.Length]);
        Span<byte> candidate = scratch[..row.Length];
        for (byte type = Sub; type <= Paeth && bestSum > 0; type++)
        {
            Filter(type, row, prior, bpp, candidate);
            long sum = SumOfAbsoluteSigned(candidate);
            if (sum < bestSum)
            {
                bestSum = sum;
                best = type;
                candidate.CopyTo(output);
            }
        }

        return best;
    }

    /// <summary>The Paeth predictor: whichever of left (a), above (b), upper-left (c) is closest to a + b - c.</summary>
    public static byte PaethPredictor(byte a, byte b, byte c)
    {
        int pa = Math.Abs(b - c);
        int pb = Math.Abs(a - c);
        int pc = Math.Abs(a + b - c - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    private static long SumOfAbsoluteSigned(ReadOnlySpan<byte> data)
    {
        long sum = 0;
        foreach (byte b in data)
        {
            sum += b < 128 ? b : 256 - b;
        }

        return sum;
    }

    private static void AddInPlace(Span<byte> row, ReadOnlySpan<byte> prior)
    {
        int i = 0;
        int width = Vector<byte>.Count;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= row.Length - width; i += width)
            {
                var sum = new Vector<byte>(row[i..]) + new Vector<byte>(prior[i..]);
                sum.CopyTo(row[i..]);
            }
        }

        for (; i < row.Length; i++)
        {
            row[i] = (byte)(row[i] + prior[i]);
        }
    }
}
