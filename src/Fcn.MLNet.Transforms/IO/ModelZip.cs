using System.IO.Compression;
using System.Text.RegularExpressions;
using Microsoft.ML;

namespace Fcn.MLNet;

/// <summary>
/// Loads an ML.NET model zip (from <c>fcn import</c>, <c>fcn train</c> or <c>mlContext.Model.Save</c>) with errors that
/// name the user's file and say what kind of file was expected. Dispose the result (it is an <see cref="IDisposable"/>
/// chain): ML.NET keeps every ONNX model of the zip in a temporary file until then.
/// </summary>
public static class ModelZip
{
    private const string Expected = "an ML.NET model zip (from fcn import, fcn train or mlContext.Model.Save) was expected";

    /// <summary>Loads <paramref name="path"/>; <paramref name="inputSchema"/> is the schema the model was saved with.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not a zip, a zip that is not an ML.NET model, or a model ML.NET or ONNX Runtime cannot load (the message names <paramref name="path"/>).</exception>
    public static ITransformer Load(MLContext ml, string path, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException(Directory.Exists(path) ? $"model {path} is a folder; {Expected}" : $"model not found: {path}", path);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            if (zip.Entries.Count == 0) throw new InvalidDataException("empty archive");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            throw new InvalidDataException($"{path} is not a readable zip archive ({e.Message.TrimEnd('.')}); {Expected}.", e);
        }
        try
        {
            return ml.Model.Load(path, out inputSchema);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            string detail = NameUserFile(Innermost(e).Message, path, ml.TempFilePath);
            if (Onnx.CudaDevice.Hint(detail) is { Length: > 0 } cuda)
                throw new NotSupportedException($"{path}: {detail.TrimEnd('.')}{cuda}", e);
            throw new InvalidDataException(detail.Contains("doesn't contain entry", StringComparison.Ordinal)
                ? $"{path} is a zip archive but not an ML.NET model ({detail.TrimEnd('.')}); {Expected}."
                : $"{path}: the ML.NET model in it could not be loaded; its entries are damaged or were written by an incompatible version ({detail.TrimEnd('.')}).", e);
        }
    }

    /// <summary>
    /// Replaces the temporary files ML.NET loads ONNX models from (in <c>TempFilePath</c>) by the user's file, so an
    /// error never points at a file that is gone.
    /// </summary>
    internal static string NameUserFile(string message, string userFile, string? tempFolder = null)
    {
        foreach (var temp in new[] { tempFolder, Path.GetTempPath() }.OfType<string>().Where(t => t.Length > 0).Distinct())
        {
            string root = Regex.Escape(Path.TrimEndingDirectorySeparator(temp));
            message = Regex.Replace(message, root + @"[/\\][^\s'"":,)]+", $"(the ONNX model of {userFile})");
        }
        return message;
    }

    /// <summary>The innermost exception (the one that says what went wrong under ML.NET's wrappers).</summary>
    internal static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
