using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Architectures;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;

namespace Fcn.MLNet.Tests;

/// <summary><c>fcn convolutionalize</c> and <c>fcn build</c>, run as separate processes.</summary>
public class CliSurgeryTests
{
    [Test]
    public void Convolutionalize_writes_an_fcn_that_reproduces_the_classifier_at_its_size()
    {
        string dir = TestPaths.NewTempFolder(), classifier = Path.Combine(dir, "vgg.onnx"), output = Path.Combine(dir, "vgg-fcn.onnx");
        var model = TinyClassifiers.VggShaped();
        OnnxModelFile.Save(model, classifier);
        var r = FcnProcess.Run("convolutionalize", "--onnx", classifier, "--output", output);
        Assert.That(r.ExitCode, Is.Zero, r.StdErr);
        var fcn = OnnxModelFile.Load(output);
        var x = Ort.Random(3 * 64 * 64, 9, 3f);
        Assert.That(Ort.Run(fcn, x, 1, 3, 64, 64).Values, Is.EqualTo(Ort.Run(model, x, 1, 3, 64, 64).Values).Within(1e-4f));
        Assert.That(Ort.Run(fcn, Ort.Random(3 * 128 * 96, 1), 1, 3, 128, 96).Shape, Is.EqualTo(new long[] { 1, 5, 3, 2 }));
    }

    [Test]
    public void Build_on_a_classifier_file_and_on_resnet18_gives_models_SegmentFcn_accepts()
    {
        string dir = TestPaths.NewTempFolder(), classifier = Path.Combine(dir, "resnet.onnx");
        OnnxModelFile.Save(TinyClassifiers.ResNetShaped(), classifier);
        string tiny = Path.Combine(dir, "tiny-fcn16s.onnx");
        var r1 = FcnProcess.Run("build", "--backbone", classifier, "--arch", "fcn16s", "--num-classes", "4", "--output", tiny, "--scale", "0.5");
        Assert.That(r1.ExitCode, Is.Zero, r1.StdErr);
        var estimator = new MLContext().Transforms.SegmentFcn(tiny);
        Assert.That(estimator.Contract.OutputMatchesInputSize && estimator.NumberOfClasses == 4);
        Assert.That(estimator.Preprocessing.Scale, Is.EqualTo(0.5f), "preprocessing flags are stored in the model");

        string resnet = Path.Combine(dir, "fcn8s.onnx");
        File.WriteAllLines(Path.Combine(dir, "names.txt"), Enumerable.Range(0, 11).Select(i => $"c{i}"));
        var r2 = FcnProcess.Run("build", "--backbone", "resnet18", "--arch", "fcn8s", "--num-classes", "11", "--output", resnet, "--classes", Path.Combine(dir, "names.txt"));
        Assert.That(r2.ExitCode, Is.Zero, r2.StdErr);
        var fromResNet = new MLContext().Transforms.SegmentFcn(resnet);
        Assert.That(fromResNet.Preprocessing.ChannelOrder, Is.EqualTo(ChannelOrder.Bgr));
        Assert.That(fromResNet.Preprocessing.Mean[0], Is.EqualTo(103.0626f).Within(1e-3f));
        Assert.That(fromResNet.ClassNames, Has.Count.EqualTo(11));

        var bad = FcnProcess.Run("build", "--backbone", "resnet18", "--arch", "fcn8s", "--num-classes", "11", "--output", resnet, "--bgr");
        Assert.That(bad.ExitCode, Is.EqualTo(2));
    }
}
