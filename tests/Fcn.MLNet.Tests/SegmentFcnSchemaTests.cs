using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

public class SegmentFcnSchemaTests
{
    [Test]
    public void Output_schema_adds_the_class_map_size_score_and_color_columns()
    {
        var ml = new MLContext();
        var estimator = ml.Transforms.SegmentFcn(new SegmentFcnOptions
        {
            ModelBytes = TestFcn.Create(2, 1).Bytes, ScoreColumnName = "Score", ColorizedColumnName = "Color",
        });
        var shape = estimator.GetOutputSchema(Shapes.Of<ImageRow>(ml)).ToDictionary(c => c.Name);
        Assert.That(shape.Keys, Is.EquivalentTo(new[] { "Image", "Segmentation", "SegmentationHeight", "SegmentationWidth", "Score", "Color" }));
        Assert.That(shape["Segmentation"].Kind, Is.EqualTo(SchemaShape.Column.VectorKind.VariableVector));
        Assert.That(shape["Segmentation"].ItemType, Is.EqualTo(NumberDataViewType.Int32));
        Assert.That(shape["SegmentationHeight"].Kind, Is.EqualTo(SchemaShape.Column.VectorKind.Scalar));
        Assert.That(shape["Score"].ItemType, Is.EqualTo(NumberDataViewType.Single));
        Assert.That(shape["Color"].ItemType, Is.InstanceOf<Microsoft.ML.Transforms.Image.ImageDataViewType>());
    }
}
