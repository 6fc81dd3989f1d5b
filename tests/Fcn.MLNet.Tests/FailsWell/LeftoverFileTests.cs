using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Scoring;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.MLNet;
using Microsoft.ML;

namespace Fcn.MLNet.Tests.FailsWell;

/// <summary>
/// Nothing leaks: a process that loads, scores, trains and checkpoints again and again leaves its temp folder as it
/// found it; checkpoints stay lean; a checkpoint folder is never overwritten by accident, never shared by two runs,
/// and files a killed run left half-written in it are removed.
/// </summary>
public class LeftoverFileTests : ChannelDatasetFixture
{
    private sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private IDataView Rows(MLContext ml) => ml.Data.LoadFromEnumerable(Directory.GetFiles(Data.Images).Order()
        .Select(i => new Row { ImagePath = i, Label = Path.Combine(Data.Masks, Path.GetFileName(i)) }).ToList());

    private FcnTrainerOptions Options(MLContext ml, string? checkpoints, int epochs = 2) => new()
    {
        BaseModelPath = Data.BaseModel, Preprocessing = new ImagePreprocessing { Scale = 1 / 255f }, NumberOfClasses = 3,
        Epochs = epochs, LearningRate = 0.02, CheckpointFolder = checkpoints,
        ValidationData = ml.Transforms.LoadImages("Image", "", "ImagePath").Fit(Rows(ml)).Transform(Rows(ml)),
    };

    private static string[] FilesUnder(string dir) => Directory.GetFiles(dir, "*", SearchOption.AllDirectories);

    [Test]
    public void Loading_scoring_training_and_validating_repeatedly_leaves_the_temp_folder_empty_once_models_are_disposed()
    {
        string temp = Path.Combine(Dir, "mlnet-temp");
        Directory.CreateDirectory(temp);
        var ml = new MLContext(seed: 1) { TempFilePath = temp };
        string zip = Path.Combine(Dir, "leak.zip");
        for (int round = 0; round < 3; round++)
        {
            var pipeline = SegmentationScoring.BuildFilePipeline(ml, new SegmentFcnOptions { ModelPath = Data.BaseModel });
            Assert.That(FilesUnder(temp), Is.Not.Empty, "ML.NET keeps the loaded model in a temp file while it is in use");
            SegmentationScoring.Score(ml, pipeline, Directory.GetFiles(Data.Images)).ToList();
            AtomicFile.Write(zip, s => ml.Model.Save(pipeline, ml.Data.LoadFromEnumerable(Array.Empty<ImagePathRow>()).Schema, s));
            ModelLifetime.Release(pipeline);
            Assert.That(FilesUnder(temp), Is.Empty, $"round {round}: after scoring and saving");
            var loaded = ModelZip.Load(ml, zip, out _);
            SegmentationScoring.Score(ml, loaded, Directory.GetFiles(Data.Images)).ToList();
            ModelLifetime.Release(loaded);
            Assert.That(FilesUnder(temp), Is.Empty, $"round {round}: after loading the zip");
            // Training validates after every epoch (a scorer each time) and writes checkpoints.
            var trainer = ml.SemanticSegmentation().Trainers.Fcn(Options(ml, Path.Combine(Dir, $"ckpt-leak-{round}")));
            ModelLifetime.Release(ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(Rows(ml)));
            Assert.That(FilesUnder(temp), Is.Empty, $"round {round}");
        }
        Assert.That(Directory.GetFiles(Path.Combine(Dir, "ckpt-leak-2")).Select(Path.GetFileName),
            Is.EquivalentTo(new[] { FcnCheckpoint.FileName, "training-curves.png" }), "no lock or temporary file stays in the checkpoint folder");
    }

    [Test]
    public void A_checkpoint_holds_the_model_once_plus_its_momentum_and_still_resumes_exactly()
    {
        var ml = new MLContext(seed: 0);
        string folder = Path.Combine(Dir, "ckpt-lean");
        var trainer = ml.SemanticSegmentation().Trainers.Fcn(Options(ml, folder, epochs: 1));
        ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(Rows(ml));
        var checkpoint = FcnCheckpoint.Load(folder)!;
        long parameterBytes = OnnxModelFile.Parse(checkpoint.Model).Graph.Initializer.Where(t => t.DataType == 1).Sum(t => (long)OnnxTensor.ReadFloats(t).Length * 4);
        Assert.That(checkpoint.EngineState.Length, Is.LessThan(parameterBytes + 4096), "engine state = momentum (+ names), not a second copy of the values");
        Assert.That(checkpoint.EngineState.Length, Is.GreaterThanOrEqualTo(parameterBytes));
    }

    [Test]
    public void A_checkpoint_folder_with_an_earlier_run_is_refused_without_resume_or_overwrite()
    {
        var ml = new MLContext(seed: 0);
        string folder = Path.Combine(Dir, "ckpt-earlier");
        ml.Transforms.LoadImages("Image", "", "ImagePath").Append(ml.SemanticSegmentation().Trainers.Fcn(Options(ml, folder, epochs: 1))).Fit(Rows(ml));
        byte[] before = File.ReadAllBytes(Path.Combine(folder, FcnCheckpoint.FileName));
        var again = Options(ml, folder, epochs: 1);
        var e = Assert.Throws<ArgumentException>(() => again.Validate());
        Assert.That(e!.Message, Does.Contain(folder).And.Contain("--resume").And.Contain("--overwrite"));
        Assert.That(File.ReadAllBytes(Path.Combine(folder, FcnCheckpoint.FileName)), Is.EqualTo(before));
        again.OverwriteCheckpoint = true;
        Assert.DoesNotThrow(() => again.Validate());

        string file = Path.Combine(Dir, "not-a-folder");
        File.WriteAllText(file, "x");
        var onFile = Options(ml, file);
        Assert.That(Assert.Throws<ArgumentException>(() => onFile.Validate())!.Message, Does.Contain("is a file"));
    }

    [Test]
    public void A_checkpoint_folder_is_held_by_one_run_and_half_written_files_of_a_killed_run_are_removed()
    {
        string folder = Path.Combine(Dir, "ckpt-lock");
        Directory.CreateDirectory(folder);
        string stale = Path.Combine(folder, $".{FcnCheckpoint.FileName}.tmp-{Guid.NewGuid():N}");
        string userFile = Path.Combine(folder, ".notes.tmp-mine");
        File.WriteAllBytes(stale, new byte[100]);
        File.WriteAllText(userFile, "not ours");
        using (var held = CheckpointFolderLock.Acquire(folder))
        {
            Assert.That(held.RemovedStaleFiles, Is.EqualTo(new[] { stale }));
            Assert.That(File.Exists(stale), Is.False);
            Assert.That(File.Exists(userFile), "only files of AtomicFile's exact naming are removed");
            var e = Assert.Throws<IOException>(() => CheckpointFolderLock.Acquire(folder));
            Assert.That(e!.Message, Does.Contain("in use by another training run"));
        }
        using (CheckpointFolderLock.Acquire(folder)) { }
        Assert.That(File.Exists(Path.Combine(folder, CheckpointFolderLock.FileName)), Is.False);
    }

    [Test]
    public void Cancelling_stops_inside_an_epoch_returns_the_last_finished_epoch_and_leaves_no_temporary_file()
    {
        var ml = new MLContext(seed: 0);
        string folder = Path.Combine(Dir, "ckpt-cancel");
        using var cancel = new CancellationTokenSource();
        var options = Options(ml, folder, epochs: 3);
        options.CancellationToken = cancel.Token;
        int iterations = 0;
        options.Progress = new SynchronousProgress<FcnTrainingProgress>(p =>
        {
            if (!p.EndOfEpoch && ++iterations == 6) cancel.Cancel(); // 4 images: inside epoch 2
        });
        var trainer = ml.SemanticSegmentation().Trainers.Fcn(options);
        ModelLifetime.Release(ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(Rows(ml)));
        Assert.That(iterations, Is.EqualTo(6));
        Assert.That(FcnCheckpoint.Load(folder)!.Epoch, Is.EqualTo(1));
        Assert.That(trainer.TrainedModel, Is.EqualTo(FcnCheckpoint.Load(folder)!.Model), "the result is epoch 1's model");
        Assert.That(Directory.GetFiles(folder).Where(AtomicFile.IsTemporaryName), Is.Empty);
    }

    [Test]
    public void Release_never_deletes_a_users_own_onnx_file()
    {
        var ml = new MLContext();
        string own = Path.Combine(Dir, "own-copy.onnx");
        File.Copy(Data.BaseModel, own, overwrite: true);
        var input = ml.Data.LoadFromEnumerable(new[] { new TensorRow() });
        var onnx = ml.Transforms.ApplyOnnxModel(own, new Dictionary<string, int[]> { ["image"] = new[] { 1, 3, 2, 2 } }).Fit(input);
        ModelLifetime.Release(onnx);
        Assert.That(File.Exists(own));
    }

    private sealed class TensorRow
    {
        [Microsoft.ML.Data.VectorType(1, 3, 2, 2)]
        public float[] image { get; set; } = new float[12];
    }
}
