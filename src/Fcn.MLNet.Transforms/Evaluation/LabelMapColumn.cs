using Fcn.MLNet.Imaging;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Evaluation;

/// <summary>
/// Reads a column holding label maps — mask file paths or integer vectors — as <c>int[]</c>. A column annotated with a
/// <see cref="LabelMapping"/> (<see cref="LabelMapping.AnnotationKind"/>, as <c>LoadDataset</c> gives) has its values
/// mapped here, so every reader of label columns (evaluation, the trainer, validation) sees the same classes.
/// </summary>
internal static class LabelMapColumn
{
    /// <summary>One row's labels, its size when known, and a name for error messages.</summary>
    public delegate (int[] Labels, (int Width, int Height)? Size, string Source) RowReader(long row);

    public static RowReader Getter(DataViewRowCursor cursor, DataViewSchema.Column column, ColorClassTable? colors,
        int? ignoreLabel, string role)
    {
        var type = column.Type;
        var mapping = MappingOf(column);
        if (type is TextDataViewType)
        {
            var get = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            return row =>
            {
                ReadOnlyMemory<char> path = default;
                get(ref path);
                var map = MaskReader.Read(path.ToString(), colors, mapping);
                return (map.Labels, (map.Width, map.Height), path.ToString());
            };
        }
        if (mapping is { IsIdentity: false } && type is VectorDataViewType)
        {
            var read = VectorGetter(cursor, column, ignoreLabel, role);
            return row =>
            {
                var (labels, size, source) = read(row);
                mapping.Apply(labels, labels.Length, source);
                return (labels, size, source);
            };
        }
        return VectorGetter(cursor, column, ignoreLabel, role);
    }

    /// <summary>The <see cref="LabelMapping"/> a column is annotated with, or null.</summary>
    public static LabelMapping? MappingOf(DataViewSchema.Column column)
    {
        var annotation = column.Annotations.Schema.GetColumnOrNull(LabelMapping.AnnotationKind);
        if (annotation is not { Type: VectorDataViewType { ItemType: var item, Size: LabelMapping.Size } } || item != NumberDataViewType.Int32)
            return null;
        VBuffer<int> table = default;
        column.Annotations.GetValue(LabelMapping.AnnotationKind, ref table);
        return new LabelMapping(table.DenseValues());
    }

    private static RowReader VectorGetter(DataViewRowCursor cursor, DataViewSchema.Column column, int? ignoreLabel, string role)
    {
        var type = column.Type;
        if (type is VectorDataViewType vector)
        {
            var item = vector.ItemType;
            if (item is KeyDataViewType)
                return Vector<uint>(cursor, column, role, k => k == 0 ? ignoreLabel ?? -1 : checked((int)k - 1));
            if (item == NumberDataViewType.Int32) return Vector<int>(cursor, column, role, v => v);
            if (item == NumberDataViewType.UInt32) return Vector<uint>(cursor, column, role, v => checked((int)v));
            if (item == NumberDataViewType.Int64) return Vector<long>(cursor, column, role, v => checked((int)v));
            if (item == NumberDataViewType.UInt64) return Vector<ulong>(cursor, column, role, v => checked((int)v));
            if (item == NumberDataViewType.Int16) return Vector<short>(cursor, column, role, v => v);
            if (item == NumberDataViewType.UInt16) return Vector<ushort>(cursor, column, role, v => v);
            if (item == NumberDataViewType.Byte) return Vector<byte>(cursor, column, role, v => v);
            if (item == NumberDataViewType.SByte) return Vector<sbyte>(cursor, column, role, v => v);
        }
        throw new ArgumentOutOfRangeException(column.Name,
            $"The {role} column '{column.Name}' must hold mask file paths (text) or integer vectors; found {type}.");
    }

    private static RowReader Vector<T>(DataViewRowCursor cursor, DataViewSchema.Column column, string role, Func<T, int> convert)
    {
        var get = cursor.GetGetter<VBuffer<T>>(column);
        VBuffer<T> buffer = default;
        return row =>
        {
            get(ref buffer);
            var labels = new int[buffer.Length];
            int i = 0;
            foreach (var v in buffer.DenseValues()) labels[i++] = convert(v);
            return (labels, null, $"row {row} of the {role} column '{column.Name}'");
        };
    }
}
