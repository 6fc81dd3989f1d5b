using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;
using Google.Protobuf;
using Microsoft.ML;
using Microsoft.ML.Data;
using DataType = Fcn.MLNet.Onnx.Proto.TensorProto.Types.DataType;

namespace Fcn.MLNet.Tests;

/// <summary>Wrong model contracts, wrong columns and missing files fail with messages that say what was expected and found.</summary>
public class BadInputTests
{
    private static byte[] Model(Action<OnnxGraphBuilder> build, int opset = 17)
    {
        var b = new OnnxGraphBuilder();
        build(b);
        return OnnxModelFile.CreateModel(b.Graph, opset).ToByteArray();
    }

    private static string IdentityFcn(OnnxGraphBuilder b, params OnnxDim[] inputDims)
    {
        b.AddInput("x", DataType.Float, inputDims);
        return b.Node("Identity", new[] { "x" });
    }

    private static Exception ContractError(byte[] model) =>
        Assert.Throws<InvalidDataException>(() => new MLContext().Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = model }))!;

    [Test]
    public void Fixed_input_size_is_rejected_with_the_shape_found()
    {
        var e = ContractError(Model(b => b.AddOutput(IdentityFcn(b, 1, 3, 224, 224), DataType.Float, 1, 3, 224, 224)));
        Assert.That(e.Message, Does.Contain("fixed size [1, 3, 224, 224]").And.Contain("dynamic H and W"));
    }

    [Test]
    public void Channels_last_input_is_named_as_such()
    {
        var e = ContractError(Model(b => b.AddOutput(IdentityFcn(b, 1, "h", "w", 3), DataType.Float, 1, "h", "w", 3)));
        Assert.That(e.Message, Does.Contain("channels-last [1, h, w, 3] (NHWC)").And.Contain("channels-first [N, 3, H, W]"));
    }

    [Test]
    public void A_model_whose_scores_are_NaN_gives_no_class_instead_of_class_0_and_fails_to_evaluate_and_predict()
    {
        byte[] nanModel = Model(b =>
        {
            b.AddInput("x", DataType.Float, 1, 3, "h", "w");
            b.AddOutput(b.Node("Mul", new[] { "x", b.AddFloats("nan", new[] { float.NaN }, 1) }), DataType.Float, 1, 3, "h", "w");
        });
        var ml = new MLContext();
        var image = TestImage.Random(9, 7, 3);
        var data = TestImage.ToDataView(ml, new[] { image });
        var model = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = nanModel }).Fit(data);
        var map = model.Transform(data).GetColumn<int[]>("Segmentation").Single();
        Assert.That(map, Is.All.EqualTo(SegmentationGraph.NotAScoreClass));
        ModelLifetime.Release(model);
        // Tiled, the maps are stitched as bytes: NaN scores must still come out as NotAScoreClass.
        var bigger = TestImage.ToDataView(ml, new[] { TestImage.Random(70, 40, 4) });
        var tiled = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = nanModel, Tiling = new TiledScoring { TileSize = 32, Overlap = 8 } }).Fit(bigger);
        Assert.That(tiled.Transform(bigger).GetColumn<int[]>("Segmentation").Single(), Is.All.EqualTo(SegmentationGraph.NotAScoreClass));
        ModelLifetime.Release(tiled);
        var confusion = new Fcn.MLNet.Evaluation.SegmentationConfusionMatrix(3);
        var e = Assert.Throws<InvalidDataException>(() => confusion.Add(new int[map.Length], map, 255, "frame.png"));
        Assert.That(e!.Message, Does.Contain("frame.png: the model's scores are NaN"));

        string dir = TestPaths.NewTempFolder(), onnx = Path.Combine(dir, "nan.onnx"), images = Path.Combine(dir, "images");
        File.WriteAllBytes(onnx, nanModel);
        Directory.CreateDirectory(images);
        using (var f = File.Create(Path.Combine(images, "a.png"))) Fcn.MLNet.Imaging.PngEncoder.WriteRgb8(f, image.Width, image.Height, image.Rgb);
        var r = FcnProcess.Run("predict", "--model", onnx, "--input", images, "--output", Path.Combine(dir, "out"));
        Assert.That(r.ExitCode, Is.EqualTo(1));
        Assert.That(r.StdErr, Does.Contain("a.png: the model's scores are NaN at 63 of 63 pixels"));
    }

    [Test]
    public void An_operator_onnx_runtime_lacks_is_reported_against_the_users_model_not_a_temporary_copy()
    {
        string dir = TestPaths.NewTempFolder(), path = Path.Combine(dir, "custom-op.onnx");
        File.WriteAllBytes(path, Model(b =>
        {
            b.AddInput("x", DataType.Float, 1, 3, "h", "w");
            b.AddOutput(b.Node("NoSuchOperator", new[] { "x" }), DataType.Float, 1, 3, "h", "w");
        }));
        var ml = new MLContext();
        var data = TestImage.ToDataView(ml, new[] { TestImage.Random(5, 4, 1) });
        var e = Assert.Catch<InvalidDataException>(() => ml.Transforms.SegmentFcn(path).Fit(data));
        Assert.That(e!.Message, Does.Contain($"ONNX Runtime cannot run {path}").And.Contain("NoSuchOperator"));
        Assert.That(e.Message, Does.Not.Match(System.Text.RegularExpressions.Regex.Escape(Path.GetTempPath()) + @"[a-z0-9]{8}\.[a-z0-9]{3}"));
    }

    [Test]
    public void Wrong_channel_count_is_rejected()
    {
        var e = ContractError(Model(b => b.AddOutput(IdentityFcn(b, 1, 1, "h", "w"), DataType.Float, 1, 1, "h", "w")));
        Assert.That(e.Message, Does.Contain("'x' has 1 channels"));
    }

    [Test]
    public void Rank_3_output_is_rejected_naming_the_output()
    {
        var e = ContractError(Model(b =>
        {
            string y = IdentityFcn(b, 1, 3, "h", "w");
            b.AddOutput(y, DataType.Float, 3, "h", "w");
        }));
        Assert.That(e.Message, Does.Contain("output 'identity'").And.Contain("rank 3").And.Contain("[N or 1, C, h, w]"));
    }

    [Test]
    public void Integer_input_is_rejected_with_its_element_type()
    {
        var e = ContractError(Model(b =>
        {
            b.AddInput("x", DataType.Int64, 1, 3, "h", "w");
            b.AddOutput(b.Node("Cast", new[] { "x" }, OnnxAttribute.Int("to", 1)), DataType.Float, 1, 3, "h", "w");
        }));
        Assert.That(e.Message, Does.Contain("element type Int64").And.Contain("expected float"));
    }

    [Test]
    public void Two_inputs_are_rejected_listing_them()
    {
        var e = ContractError(Model(b =>
        {
            b.AddInput("a", DataType.Float, 1, 3, "h", "w");
            b.AddInput("b", DataType.Float, 1, 3, "h", "w");
            b.AddOutput(b.Node("Add", new[] { "a", "b" }), DataType.Float, 1, 3, "h", "w");
        }));
        Assert.That(e.Message, Does.Contain("found 2: 'a'").And.Contain("'b'"));
    }

    [Test]
    public void Several_outputs_need_the_scores_output_option()
    {
        var model = Model(b =>
        {
            string y = IdentityFcn(b, 1, 3, "h", "w");
            b.AddOutput(y, DataType.Float, 1, 3, "h", "w");
            b.AddOutput(b.Node("Relu", new[] { y }), DataType.Float, 1, 3, "h", "w");
        });
        var e = ContractError(model);
        Assert.That(e.Message, Does.Contain("found 2").And.Contain("scores-output"));
        var ok = new MLContext().Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = model, ScoresOutputName = "relu" });
        Assert.That(ok.Contract.OutputName, Is.EqualTo("relu"));
    }

    [Test]
    public void Old_opset_is_rejected()
    {
        var e = ContractError(Model(b => b.AddOutput(IdentityFcn(b, 1, 3, "h", "w"), DataType.Float, 1, 3, "h", "w"), opset: 9));
        Assert.That(e.Message, Does.Contain("opset 11 or newer").And.Contain("opset 9"));
    }

    [Test]
    public void Bytes_that_are_not_onnx_are_rejected()
    {
        var e = ContractError(new byte[] { 1, 2, 3, 4, 5 });
        Assert.That(e.Message, Does.Contain("not an ONNX model"));
    }

    [Test]
    public void Missing_model_file_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => new MLContext().Transforms.SegmentFcn("/no/such/model.onnx"));
        Assert.That(e!.Message, Does.Contain("/no/such/model.onnx"));
    }

    [Test]
    public void Non_image_input_column_is_rejected_naming_column_and_type()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new SegmentFcnTests.PathRow { ImagePath = "a.png" } });
        var estimator = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = TestFcn.Create(2, 1).Bytes, InputColumnName = "ImagePath" });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.Fit(data));
        Assert.That(e!.Message, Does.Contain("'ImagePath' must be an image").And.Contain("String"));
        var e2 = Assert.Throws<ArgumentOutOfRangeException>(() => estimator.GetOutputSchema(Shapes.Of<SegmentFcnTests.PathRow>(ml)));
        Assert.That(e2!.Message, Does.Contain("'ImagePath' must be an image"));
    }

    [Test]
    public void Missing_input_column_lists_the_columns_that_exist()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new SegmentFcnTests.PathRow { ImagePath = "a.png" } });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() =>
            ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = TestFcn.Create(2, 1).Bytes }).Fit(data));
        Assert.That(e!.Message, Does.Contain("'Image' not found").And.Contain("ImagePath"));
    }

    [Test]
    public void Class_names_that_do_not_match_the_class_count_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => new MLContext().Transforms.SegmentFcn(
            new SegmentFcnOptions { ModelBytes = TestFcn.Create(3, 1).Bytes, ClassNames = new[] { "a", "b" } }));
        Assert.That(e!.Message, Does.Contain("2 class names").And.Contain("3 classes"));
    }

    [Test]
    public void Missing_image_file_fails_naming_the_file()
    {
        var ml = new MLContext();
        var data = ml.Data.LoadFromEnumerable(new[] { new SegmentFcnTests.PathRow { ImagePath = "/no/such/image.png" } });
        var model = ml.Transforms.LoadImages("Image", "", "ImagePath")
            .Append(ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = TestFcn.Create(2, 1).Bytes })).Fit(data);
        var e = Assert.Catch<Exception>(() => model.Transform(data).GetColumn<int[]>("Segmentation").ToList());
        Assert.That(e!.ToString(), Does.Contain("/no/such/image.png"));
    }
}
