using Microsoft.ML;

namespace Fcn.MLNet.Tests.Support;

/// <summary>SchemaShapes for estimator tests (ML.NET's SchemaShape.Create is internal, so a never-run mapping declares them).</summary>
internal static class Shapes
{
    public sealed class Nothing
    {
    }

    public static SchemaShape Of<TRow>(MLContext ml) where TRow : class, new() =>
        ml.Transforms.CustomMapping<Nothing, TRow>((_, _) => { }, contractName: null)
            .GetOutputSchema(new SchemaShape(Array.Empty<SchemaShape.Column>()));
}
