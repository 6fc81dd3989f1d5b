// Inference benchmarks for Fcn.MLNet.
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- --filter '*InferenceBenchmark*'
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- steady <width> <height> <rounds>
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- shift-and-stitch [folder]
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- peak-memory pipeline|ort|ort-arena-off|ort-arena-exact [width height [classes [tile]]]
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- write-model <file.onnx> [classes] [width height]
//     (the benchmark's ResNet18 FCN-32s, and a test image of that size beside it: for measuring `fcn predict` itself)
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- int8 <fp32.onnx> <int8.onnx> <png folder> [rounds]
//   dotnet run -c Release --project benchmarks/Fcn.Benchmarks -- profile <model.onnx> <image.png> [runs]
//     (where one image's time goes: ONNX Runtime's profiler by operator, bare session vs pipeline;
//      FCN_PROFILE_OPTIMIZED_MODEL=<file.onnx> also writes the graph ONNX Runtime runs, after its fusions)
using BenchmarkDotNet.Running;
using Fcn.Benchmarks;

if (args.Length > 0 && args[0] == "peak-memory")
    return PeakMemory.Run(args.Length > 1 ? args[1] : "pipeline",
        args.Length > 3 ? int.Parse(args[2]) : 4000, args.Length > 3 ? int.Parse(args[3]) : 3000, args.Length > 4 ? int.Parse(args[4]) : 21,
        args.Length > 5 ? int.Parse(args[5]) : null);
if (args.Length > 1 && args[0] == "write-model")
{
    var options = BenchmarkModel.Options(args.Length > 2 ? int.Parse(args[2]) : 21);
    File.WriteAllBytes(args[1], options.ModelBytes!);
    if (args.Length > 4)
        Console.WriteLine(BenchmarkImages.Write(Path.GetDirectoryName(Path.GetFullPath(args[1]))!, 1, int.Parse(args[3]), int.Parse(args[4]))[0]);
    return 0;
}
if (args.Length > 3 && args[0] == "int8")
    return Int8Timing.Run(args[1], args[2], args[3], args.Length > 4 ? int.Parse(args[4]) : 5);
if (args.Length > 2 && args[0] == "profile")
    return OperatorProfile.Run(args[1], args[2], args.Length > 3 ? int.Parse(args[3]) : 10);
if (args.Length > 0 && args[0] == "shift-and-stitch")
    return ShiftAndStitchStudy.Run(args.Length > 1 ? args[1] : Path.Combine(Path.GetTempPath(), "fcn-sas-study"));
if (args.Length > 0 && args[0] == "steady")
    return SteadyTiming.Run(int.Parse(args[1]), int.Parse(args[2]), int.Parse(args[3]));
BenchmarkSwitcher.FromAssembly(typeof(InferenceBenchmark).Assembly).Run(args);
return 0;
