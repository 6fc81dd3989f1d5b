using System.Runtime.InteropServices;
using Fcn.MLNet.Onnx.Proto;
using Google.Protobuf;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Onnx;

/// <summary>Creates and reads ONNX <see cref="TensorProto"/> values (initializers and constants).</summary>
public static class OnnxTensor
{
    /// <summary>A float tensor stored as little-endian raw data.</summary>
    public static TensorProto Float(string name, ReadOnlySpan<float> data, params long[] dims) =>
        Raw(name, DataType.Float, MemoryMarshal.AsBytes(data), data.Length, dims);

    /// <summary>An int64 tensor stored as little-endian raw data.</summary>
    public static TensorProto Int64(string name, ReadOnlySpan<long> data, params long[] dims) =>
        Raw(name, DataType.Int64, MemoryMarshal.AsBytes(data), data.Length, dims);

    /// <summary>An int32 tensor stored as little-endian raw data.</summary>
    public static TensorProto Int32(string name, ReadOnlySpan<int> data, params long[] dims) =>
        Raw(name, DataType.Int32, MemoryMarshal.AsBytes(data), data.Length, dims);

    /// <summary>An int8 tensor stored as raw data.</summary>
    public static TensorProto Int8(string name, ReadOnlySpan<sbyte> data, params long[] dims) =>
        Raw(name, DataType.Int8, MemoryMarshal.AsBytes(data), data.Length, dims);

    /// <summary>A uint8 tensor stored as raw data.</summary>
    public static TensorProto UInt8(string name, ReadOnlySpan<byte> data, params long[] dims) =>
        Raw(name, DataType.Uint8, data, data.Length, dims);

    /// <summary>A bool tensor stored as raw data (one byte per value).</summary>
    public static TensorProto Bool(string name, ReadOnlySpan<bool> data, params long[] dims)
    {
        var bytes = new byte[data.Length];
        for (int i = 0; i < data.Length; i++) bytes[i] = data[i] ? (byte)1 : (byte)0;
        return Raw(name, DataType.Bool, bytes, data.Length, dims);
    }

    private static TensorProto Raw(string name, DataType type, ReadOnlySpan<byte> bytes, int count, long[] dims)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this platform is not.");
        long expected = dims.Aggregate(1L, (a, d) => a * d);
        if (expected != count)
            throw new ArgumentException($"Tensor '{name}': shape [{string.Join(",", dims)}] holds {expected} values, got {count}.");
        var t = new TensorProto { Name = name, DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        t.Dims.AddRange(dims);
        return t;
    }

    /// <summary>The number of elements of a tensor (product of its dims; 1 for a scalar).</summary>
    public static long ElementCount(TensorProto t) => t.Dims.Aggregate(1L, (a, d) => a * d);

    /// <summary>Reads a float tensor's values, whether stored as raw data or as <c>float_data</c>.</summary>
    public static float[] ReadFloats(TensorProto t)
    {
        RequireType(t, DataType.Float);
        if (t.HasRawData) return MemoryMarshal.Cast<byte, float>(t.RawData.Span).ToArray();
        return t.FloatData.ToArray();
    }

    /// <summary>Reads an int64 tensor's values, whether stored as raw data or as <c>int64_data</c>.</summary>
    public static long[] ReadInt64s(TensorProto t)
    {
        RequireType(t, DataType.Int64);
        if (t.HasRawData) return MemoryMarshal.Cast<byte, long>(t.RawData.Span).ToArray();
        return t.Int64Data.ToArray();
    }

    private static void RequireType(TensorProto t, DataType type)
    {
        if (t.DataLocation == TensorProto.Types.DataLocation.External)
            throw new NotSupportedException($"Tensor '{t.Name}' keeps its data in an external file; embed the weights in the .onnx file.");
        if (t.DataType != (int)type)
            throw new InvalidDataException($"Tensor '{t.Name}' has element type {(DataType)t.DataType}, expected {type}.");
    }
}
