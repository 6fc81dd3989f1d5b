using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Support;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests;

/// <summary>
/// The device option on the default (CPU) build: parsed once, refused with what to do, and never silently ignored. The
/// CUDA path itself runs only on a GPU machine (tools/device/check.sh).
/// </summary>
public class CudaDeviceTests
{
    [TestCase("cpu", null)]
    [TestCase("CUDA", 0)]
    [TestCase("cuda:3", 3)]
    public void Device_names_parse(string text, int? expected) => Assert.That(CudaDevice.Parse(text), Is.EqualTo(expected));

    [TestCase("gpu")]
    [TestCase("cuda:-1")]
    [TestCase("cuda:x")]
    public void Bad_device_names_are_refused_naming_the_flag(string text)
    {
        var e = Assert.Throws<ArgumentException>(() => CudaDevice.Parse(text));
        Assert.That(e!.Message, Does.Contain("--device").And.Contain("cpu, cuda or cuda:N"));
    }

    [Test]
    public void On_the_CPU_build_a_CUDA_device_is_refused_saying_how_to_get_one_unless_falling_back_is_allowed()
    {
        Assume.That(CudaDevice.IsAvailable, Is.False, "this is the CUDA build");
        var fcn = TestFcn.Create(classes: 3, seed: 1);
        var ml = new MLContext(seed: 0);
        var e = Assert.Throws<NotSupportedException>(() => ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, GpuDeviceId = 0 }));
        Assert.That(e!.Message, Does.Contain("-p:FcnGpu=true"));

        var data = TestImage.ToDataView(ml, new[] { TestImage.Random(20, 10, seed: 2) });
        var fallback = ml.Transforms.SegmentFcn(new SegmentFcnOptions { ModelBytes = fcn.Bytes, GpuDeviceId = 0, FallbackToCpu = true }).Fit(data);
        Assert.That(fallback.Transform(data).GetColumn<int[]>("Segmentation").Single(), Has.Length.EqualTo(200));
        ModelLifetime.Release(fallback);

        var training = Assert.Throws<NotSupportedException>(() => Fcn.MLNet.Training.Engine.OrtSessionFactory.Create(fcn.Bytes, threads: 1, gpuDeviceId: 0));
        Assert.That(training!.Message, Does.Contain("training").And.Contain("-p:FcnGpu=true"));
    }

    [Test]
    public void The_command_line_refuses_a_CUDA_device_on_the_CPU_build_and_a_bad_device_name_as_usage()
    {
        Assume.That(CudaDevice.IsAvailable, Is.False, "this is the CUDA build");
        string dir = TestPaths.NewTempFolder();
        string model = TestFcn.Create(classes: 3, seed: 1).Save(dir);
        var cuda = FcnProcess.Run("predict", "--model", model, "--input", dir, "--output", Path.Combine(dir, "out"), "--device", "cuda");
        Assert.That(cuda.ExitCode, Is.EqualTo(1), cuda.StdErr);
        Assert.That(cuda.StdErr, Does.Contain("--device: device cuda:0 needs ONNX Runtime's CUDA build"));
        var bad = FcnProcess.Run("train", "--model", model, "--images", dir, "--masks", dir, "--num-classes", "3", "--output", Path.Combine(dir, "t.onnx"), "--device", "gpu");
        Assert.That(bad.ExitCode, Is.EqualTo(2), bad.StdErr);
        Assert.That(bad.StdErr, Does.Contain("expected cpu, cuda or cuda:N"));
        Assert.That(Directory.Exists(Path.Combine(dir, "out")), Is.False, "nothing written");
    }
}
