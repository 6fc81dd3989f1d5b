using Fcn.MLNet.Evaluation;
using Fcn.MLNet.Imaging;
using Fcn.MLNet.Onnx;
using Fcn.MLNet.Tests.Architectures;
using Fcn.MLNet.Tests.Support;
using Fcn.MLNet.Training.Architectures;
using Fcn.MLNet.Training.MLNet;
using Fcn.MLNet.Training.Reporting;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Fcn.MLNet.Tests.Training;

/// <summary>mlContext.SemanticSegmentation().Trainers.Fcn on a tiny backbone and synthetic images.</summary>
public class FcnTrainerTests
{
    public sealed class Row
    {
        public string ImagePath { get; set; } = "";
        public string Label { get; set; } = "";
    }

    private string _dir = "";
    private string _backbone = "";
    private List<Row> _train = new();
    private List<Row> _val = new();

    [OneTimeSetUp]
    public void WriteData()
    {
        _dir = TestPaths.NewTempFolder();
        _backbone = Path.Combine(_dir, "tiny.onnx");
        OnnxModelFile.Save(TinyClassifiers.ResNetShaped(), _backbone);
        for (int i = 0; i < 6; i++)
        {
            // Left part class 1 (bright), right part class 0 (dark), a boundary that moves per image.
            int w = 40 + 4 * (i % 3), h = 36, split = 12 + 3 * i;
            var rgb = new byte[3 * w * h];
            var labels = new int[w * h];
            var rng = new Random(i);
            for (int p = 0; p < w * h; p++)
            {
                bool left = p % w < split;
                labels[p] = left ? 1 : 0;
                byte v = (byte)(left ? 200 + rng.Next(40) : 20 + rng.Next(40));
                rgb[3 * p] = rgb[3 * p + 1] = rgb[3 * p + 2] = v;
            }
            string image = Path.Combine(_dir, $"img{i}.png"), mask = Path.Combine(_dir, $"mask{i}.png");
            using (var f = File.Create(image)) PngEncoder.WriteRgb8(f, w, h, rgb);
            MaskWriter.WriteIndexPng(mask, new LabelMap(w, h, labels));
            (i < 4 ? _train : _val).Add(new Row { ImagePath = image, Label = mask });
        }
    }

    private FcnTrainerOptions Options(MLContext ml, string? checkpoints = null, int epochs = 1) => new()
    {
        Backbone = _backbone, Preprocessing = new ImagePreprocessing { Scale = 1 / 255f }, NumberOfClasses = 2,
        ClassNames = new[] { "dark", "bright" }, Epochs = epochs, LearningRate = 0.05, Mirror = true,
        ValidationData = ml.Transforms.LoadImages("Image", "", "ImagePath").Fit(ml.Data.LoadFromEnumerable(_val)).Transform(ml.Data.LoadFromEnumerable(_val)),
        CheckpointFolder = checkpoints,
    };

    [Test]
    public void Staged_training_reports_progress_validates_checkpoints_and_returns_a_SegmentFcn_pipeline()
    {
        var ml = new MLContext(seed: 0);
        var log = new List<string>();
        ml.Log += (_, e) => { if (e.Source.Contains("FcnTrainer")) lock (log) log.Add(e.Message); };
        string checkpoints = Path.Combine(_dir, "ckpt-staged");
        var reports = new List<FcnTrainingProgress>();
        var options = Options(ml, checkpoints);
        options.Protocol = FcnTrainingProtocol.Staged;
        options.Progress = new SynchronousProgress<FcnTrainingProgress>(reports.Add);
        var trainer = ml.SemanticSegmentation().Trainers.Fcn(options);
        var data = ml.Data.LoadFromEnumerable(_train);
        var model = ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(data);

        Assert.That(reports.Select(r => r.Stage).Distinct(), Is.EqualTo(new[] { FcnArchitecture.Fcn32s, FcnArchitecture.Fcn16s, FcnArchitecture.Fcn8s }));
        Assert.That(reports.Count(r => r.EndOfEpoch), Is.EqualTo(3), "one end-of-epoch report per stage");
        Assert.That(reports.Where(r => r.EndOfEpoch).Select(r => r.ValidationMeanIU), Is.All.InRange(0.0, 1.0), "validated every epoch");
        Assert.That(trainer.History!.Losses, Has.Count.EqualTo(12), "4 images × 1 epoch × 3 stages");
        Assert.That(log, Has.Some.Contains("Fcn16s initialised from Fcn32s").And.Some.Contains("validation mean IU"));
        Assert.That(File.Exists(Path.Combine(checkpoints, FcnCheckpoint.FileName)));
        foreach (var stage in new[] { FcnArchitecture.Fcn32s, FcnArchitecture.Fcn16s, FcnArchitecture.Fcn8s })
        {
            var kept = OnnxModelFile.Load(Path.Combine(checkpoints, FcnTrainer.StageModelFileName(stage)));
            Assert.That(FcnModelContract.Inspect(kept, stage.ToString()).NumberOfClasses, Is.EqualTo(2), stage.ToString());
        }
        Assert.That(File.ReadAllBytes(Path.Combine(checkpoints, "fcn8s.onnx")), Is.EqualTo(trainer.TrainedModel), "the last stage's file is the returned net");
        var png = PngDecoder.Decode(Path.Combine(checkpoints, "training-curves.png"));
        Assert.That((png.Width, png.Height), Is.EqualTo((2 * CurvesPlot.PanelWidth, 2 * CurvesPlot.PanelHeight)));

        var scored = model.Transform(ml.Data.LoadFromEnumerable(_val));
        var maps = scored.GetColumn<int[]>("Segmentation").ToList();
        var widths = scored.GetColumn<int>("SegmentationWidth").ToList();
        Assert.That(maps[0].Length, Is.EqualTo(widths[0] * 36));
        string zip = Path.Combine(_dir, "trained.zip");
        ml.Model.Save(model, data.Schema, zip);
        var reloaded = new MLContext().Model.Load(zip, out _);
        Assert.That(reloaded.Transform(ml.Data.LoadFromEnumerable(_val)).GetColumn<int[]>("Segmentation").ToList(), Is.EqualTo(maps));
    }

    [Test]
    public void Resuming_from_the_epoch_checkpoint_gives_the_same_model_as_an_uninterrupted_run()
    {
        var data = new MLContext().Data.LoadFromEnumerable(_train);
        byte[] Train(string folder, int epochs, bool resume)
        {
            var ml = new MLContext(seed: 0);
            var options = Options(ml, folder, epochs);
            options.Resume = resume;
            options.ValidationData = null;
            var trainer = ml.SemanticSegmentation().Trainers.Fcn(options);
            ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(data);
            return trainer.TrainedModel!;
        }
        var straight = Train(Path.Combine(_dir, "ckpt-straight"), 2, resume: false);
        string folder = Path.Combine(_dir, "ckpt-resume");
        Train(folder, 1, resume: false);                 // "crash" after epoch 1
        var resumed = Train(folder, 2, resume: true);      // picks up epoch 2 from the checkpoint
        var a = OnnxModelFile.Parse(straight).Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var t in OnnxModelFile.Parse(resumed).Graph.Initializer.Where(t => t.DataType == 1))
            Assert.That(OnnxTensor.ReadFloats(t), Is.EqualTo(OnnxTensor.ReadFloats(a[t.Name])).Within(1e-5f), t.Name);
    }

    [Test]
    public void The_number_of_data_loading_workers_does_not_change_the_trained_model()
    {
        var data = new MLContext().Data.LoadFromEnumerable(_train);
        byte[] Train(int workers)
        {
            var ml = new MLContext(seed: 0);
            var options = Options(ml, epochs: 2);
            options.ValidationData = null;
            options.DataLoadingWorkers = workers;
            options.BatchSize = 2;
            options.CropSize = (28, 30);
            options.ScaleRange = (0.7, 1.4);
            options.Photometric = new Fcn.MLNet.Training.Data.PhotometricDistortion();
            var trainer = ml.SemanticSegmentation().Trainers.Fcn(options);
            ml.Transforms.LoadImages("Image", "", "ImagePath").Append(trainer).Fit(data);
            return trainer.TrainedModel!;
        }
        var inline = OnnxModelFile.Parse(Train(0)).Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var t in OnnxModelFile.Parse(Train(3)).Graph.Initializer.Where(t => t.DataType == 1))
            Assert.That(OnnxTensor.ReadFloats(t), Is.EqualTo(OnnxTensor.ReadFloats(inline[t.Name])).Within(1e-5f), t.Name);
    }

    [Test]
    public void Wrong_label_column_type_names_the_column()
    {
        var ml = new MLContext();
        var rows = ml.Data.LoadFromEnumerable(new[] { new { ImagePath = _train[0].ImagePath, Label = 3f } }.Select(r => new FloatLabelRow { ImagePath = r.ImagePath, Label = r.Label }));
        var options = Options(ml);
        options.ValidationData = null;
        var e = Assert.Catch<Exception>(() => ml.Transforms.LoadImages("Image", "", "ImagePath").Append(ml.SemanticSegmentation().Trainers.Fcn(options)).Fit(rows));
        Assert.That(e!.Message, Does.Contain("'Label'"));
    }

    public sealed class FloatLabelRow
    {
        public string ImagePath { get; set; } = "";
        public float Label { get; set; }
    }
}
