using System.Globalization;

namespace Fcn.MLNet.Imaging;

/// <summary>
/// Maps RGB colours to class indices, for reading colour-coded (RGB/RGBA) segmentation masks.
/// A colour that is not in the table maps to <see cref="UnknownColorLabel"/> when that is set;
/// otherwise reading such a mask is an error.
/// </summary>
public sealed class ColorClassTable
{
    private readonly Dictionary<int, int> _classes = new();

    /// <summary>Number of colours in the table.</summary>
    public int Count => _classes.Count;

    /// <summary>The class given to colours that are not in the table; null (the default) makes them an error.</summary>
    public int? UnknownColorLabel { get; set; }

    /// <summary>Maps colour (<paramref name="r"/>, <paramref name="g"/>, <paramref name="b"/>) to <paramref name="classIndex"/>.</summary>
    /// <exception cref="ArgumentException">The colour is already mapped to a different class, or the class is negative.</exception>
    public void Add(byte r, byte g, byte b, int classIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(classIndex);
        int key = Key(r, g, b);
        if (_classes.TryGetValue(key, out int existing))
        {
            if (existing != classIndex)
            {
                throw new ArgumentException($"Colour ({r},{g},{b}) is already mapped to class {existing}, cannot map it to {classIndex}.");
            }

            return;
        }

        _classes.Add(key, classIndex);
    }

    /// <summary>Looks up the class of a colour, ignoring <see cref="UnknownColorLabel"/>.</summary>
    /// <returns>True when the colour is in the table.</returns>
    public bool TryGetClass(byte r, byte g, byte b, out int classIndex) => _classes.TryGetValue(Key(r, g, b), out classIndex);

    /// <summary>
    /// The palette this table describes: class i gets the colour the table maps to i (the smallest R,G,B when several do); a class the table does not
    /// name keeps its colour from <paramref name="fallback"/> (PASCAL VOC when null). The palette covers every class up
    /// to the largest in the table.
    /// </summary>
    public ColorPalette ToPalette(ColorPalette? fallback = null)
    {
        if (_classes.Count == 0) throw new InvalidOperationException("The colour table is empty: it names no class colour.");
        int count = Math.Max(_classes.Values.Max() + 1, fallback?.Count ?? 0);
        var baseColors = fallback ?? ColorPalette.PascalVoc(Math.Min(count, 65536));
        var colors = Enumerable.Range(0, count).Select(i => i < baseColors.Count ? baseColors[i] : ((byte)0, (byte)0, (byte)0)).ToArray();
        foreach (var colorsOfClass in _classes.GroupBy(e => e.Value))
        {
            int key = colorsOfClass.Min(e => e.Key); // the smallest (R, G, B) when several colours name the class
            colors[colorsOfClass.Key] = ((byte)(key >> 16), (byte)(key >> 8), (byte)key);
        }

        return ColorPalette.FromColors(colors);
    }

    /// <summary>
    /// A table mapping colour i of <paramref name="palette"/> to class i. When a colour appears more than once,
    /// its first (lowest) class wins.
    /// </summary>
    public static ColorClassTable FromPalette(ColorPalette palette)
    {
        ArgumentNullException.ThrowIfNull(palette);
        var table = new ColorClassTable();
        for (int i = 0; i < palette.Count; i++)
        {
            var (r, g, b) = palette[i];
            table._classes.TryAdd(Key(r, g, b), i);
        }

        return table;
    }

    /// <summary>
    /// Parses lines of the form <c>R,G,B class</c> or <c>R G B class</c> (commas and whitespace both separate
    /// numbers). Text after <c>#</c> is a comment; blank lines are skipped.
    /// </summary>
    /// <exception cref="FormatException">A line is malformed or maps a colour to two classes; the message gives the line number.</exception>
    public static ColorClassTable Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var table = new ColorClassTable();
        int lineNumber = 0;
        foreach (string rawLine in text.Split('\n'))
        {
            lineNumber++;
            string line = rawLine;
            int hash = line.IndexOf('#', StringComparison.Ordinal);
            if (hash >= 0)
            {
                line = line[..hash];
            }

            string[] fields = line.Split([' ', '\t', ',', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length == 0)
            {
                continue;
            }

            if (fields.Length != 4)
            {
                throw new FormatException($"Line {lineNumber}: expected 'R,G,B class' (4 numbers), got \"{rawLine.Trim()}\".");
            }

            var rgb = new byte[3];
            for (int i = 0; i < 3; i++)
            {
                if (!byte.TryParse(fields[i], NumberStyles.None, CultureInfo.InvariantCulture, out rgb[i]))
                {
                    throw new FormatException($"Line {lineNumber}: colour component \"{fields[i]}\" is not an integer from 0 to 255.");
                }
            }

            if (!int.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out int classIndex))
            {
                throw new FormatException($"Line {lineNumber}: class \"{fields[3]}\" is not a non-negative integer.");
            }

            if (table.TryGetClass(rgb[0], rgb[1], rgb[2], out int existing) && existing != classIndex)
            {
                throw new FormatException(
                    $"Line {lineNumber}: colour ({rgb[0]},{rgb[1]},{rgb[2]}) is already mapped to class {existing}, cannot map it to {classIndex}.");
            }

            table.Add(rgb[0], rgb[1], rgb[2], classIndex);
        }

        return table;
    }

    /// <summary>Reads a table file in the <see cref="Parse"/> format.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The file is malformed; the message names the path and line.</exception>
    public static ColorClassTable Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: file not found", path);
        }

        try
        {
            return Parse(File.ReadAllText(path));
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{path}: {ex.Message}", ex);
        }
    }

    private static int Key(byte r, byte g, byte b) => (r << 16) | (g << 8) | b;
}
