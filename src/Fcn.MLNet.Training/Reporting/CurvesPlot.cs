using Fcn.MLNet.Reporting;
using Fcn.MLNet.Training.MLNet;
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using SkiaSharp;

namespace Fcn.MLNet.Training.Reporting;

/// <summary>
/// The training curves, drawn with OxyPlot in four panels with axes, ticks, titles and legends: loss per iteration
/// (raw and a moving average), learning rate per iteration, validation mean IU per epoch, and validation IU per class
/// per epoch. <see cref="Write"/> renders them to one PNG with OxyPlot.SkiaSharp (on the SkiaSharp 2.88 ImageAnalytics
/// uses); <see cref="Svg"/> gives the same panels as inline SVG (managed code only), e.g. for a notebook.
/// Iterations and epochs are counted across stages; a staged run marks where each stage begins.
/// </summary>
public static class CurvesPlot
{
    /// <summary>The file the trainer writes into its checkpoint folder.</summary>
    public const string FileName = "training-curves.png";

    /// <summary>Width and height of one panel in pixels; the PNG is 2×2 panels.</summary>
    public const int PanelWidth = 640, PanelHeight = 400;

    /// <summary>Writes the four panels of <paramref name="history"/> as one PNG to <paramref name="path"/> (atomically).</summary>
    /// <param name="path">The PNG file.</param>
    /// <param name="history">The curves.</param>
    /// <param name="classNames">Names for the per-class legend; "class i" when null.</param>
    public static void Write(string path, TrainingHistory history, IReadOnlyList<string>? classNames = null)
    {
        var panels = Panels(history, classNames);
        using var surface = SKSurface.Create(new SKImageInfo(2 * PanelWidth, 2 * PanelHeight, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.White);
        var exporter = new OxyPlot.SkiaSharp.PngExporter { Width = PanelWidth, Height = PanelHeight };
        for (int i = 0; i < panels.Count; i++)
        {
            using var png = new MemoryStream();
            exporter.Export(panels[i], png);
            using var bitmap = SKBitmap.Decode(png.ToArray());
            surface.Canvas.DrawBitmap(bitmap, i % 2 * PanelWidth, i / 2 * PanelHeight);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        AtomicFile.Write(path, s => data.SaveTo(s));
    }

    /// <summary>The four panels as inline SVG elements, one after another.</summary>
    public static string Svg(TrainingHistory history, IReadOnlyList<string>? classNames = null) =>
        string.Concat(Panels(history, classNames).Select(p => ReportCharts.Svg(p, PanelWidth, PanelHeight)));

    /// <summary>The four OxyPlot models: loss, learning rate, validation mean IU, validation IU per class.</summary>
    public static IReadOnlyList<PlotModel> Panels(TrainingHistory history, IReadOnlyList<string>? classNames = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        return new[] { Loss(history), LearningRate(history), MeanIU(history), PerClassIU(history, classNames) };
    }

    private static PlotModel Loss(TrainingHistory history)
    {
        var model = Model("Training loss", "iteration", "loss");
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.TopRight, LegendBackground = OxyColor.FromAColor(220, OxyColors.White) });
        var raw = new LineSeries { Title = "per iteration", Color = OxyColor.FromRgb(190, 190, 190), StrokeThickness = 1 };
        var finite = history.Losses.Select((l, i) => (X: i + 1, l.Loss)).Where(p => double.IsFinite(p.Loss)).ToList();
        raw.Points.AddRange(finite.Select(p => new DataPoint(p.X, p.Loss)));
        int window = Math.Max(1, finite.Count / 50);
        var smooth = new LineSeries { Title = $"moving average ({window})", Color = OxyColor.FromRgb(30, 90, 200), StrokeThickness = 2 };
        double sum = 0;
        for (int i = 0; i < finite.Count; i++)
        {
            sum += finite[i].Loss;
            if (i >= window) sum -= finite[i - window].Loss;
            smooth.Points.Add(new DataPoint(finite[i].X, sum / Math.Min(i + 1, window)));
        }
        model.Series.Add(raw);
        model.Series.Add(smooth);
        StageMarks(model, history.Losses.Select(l => l.Stage).ToList());
        return model;
    }

    private static PlotModel LearningRate(TrainingHistory history)
    {
        bool recorded = history.Losses.Any(l => l.LearningRate is not null);
        var model = Model(recorded ? "Learning rate" : "Learning rate (not recorded in this checkpoint)", "iteration", "learning rate");
        var line = new LineSeries { Color = OxyColor.FromRgb(60, 140, 60), StrokeThickness = 2 };
        line.Points.AddRange(history.Losses.Select((l, i) => (l, i)).Where(p => p.l.LearningRate is not null)
            .Select(p => new DataPoint(p.i + 1, p.l.LearningRate!.Value)));
        model.Series.Add(line);
        StageMarks(model, history.Losses.Select(l => l.Stage).ToList());
        return model;
    }

    private static PlotModel MeanIU(TrainingHistory history)
    {
        var model = Model(history.Validation.Count > 0 ? "Validation mean IU" : "Validation mean IU (no validation set)", "epoch", "mean IU (%)");
        model.Axes[1].Minimum = 0;
        model.Axes[1].Maximum = 100;
        var line = new LineSeries { Color = OxyColor.FromRgb(230, 120, 20), StrokeThickness = 2, MarkerType = MarkerType.Circle, MarkerSize = 3 };
        line.Points.AddRange(history.Validation.Select((v, i) => new DataPoint(i + 1, 100 * v.MeanIU)));
        model.Series.Add(line);
        if (history.Validation.Count > 0)
            model.Subtitle = FormattableString.Invariant($"last {100 * history.Validation[^1].MeanIU:F1}, best {100 * history.Validation.Max(v => v.MeanIU):F1}");
        StageMarks(model, history.Validation.Select(v => v.Stage).ToList());
        return model;
    }

    private static PlotModel PerClassIU(TrainingHistory history, IReadOnlyList<string>? classNames)
    {
        int classes = history.Validation.Select(v => v.PerClassIU?.Count ?? 0).DefaultIfEmpty(0).Max();
        var model = Model(classes > 0 ? "Validation IU per class" : "Validation IU per class (not recorded)", "epoch", "IU (%)");
        model.Axes[1].Minimum = 0;
        model.Axes[1].Maximum = 100;
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightTop, LegendPlacement = LegendPlacement.Outside, LegendFontSize = 10 });
        for (int k = 0; k < classes; k++)
        {
            var line = new LineSeries
            {
                Title = classNames is not null && k < classNames.Count ? classNames[k] : $"class {k}",
                StrokeThickness = 1.5, MarkerType = MarkerType.Circle, MarkerSize = 2,
            };
            for (int e = 0; e < history.Validation.Count; e++)
                if (history.Validation[e].PerClassIU is { } iu && k < iu.Count && iu[k] is double v)
                    line.Points.Add(new DataPoint(e + 1, 100 * v));
                else line.Points.Add(DataPoint.Undefined); // a class with no IU that epoch: a gap
            model.Series.Add(line);
        }
        StageMarks(model, history.Validation.Select(v => v.Stage).ToList());
        return model;
    }

    private static PlotModel Model(string title, string x, string y)
    {
        var model = new PlotModel { Title = title, TitleFontSize = 14, DefaultFontSize = 11, DefaultFont = ReportCharts.Font, Background = OxyColors.White };
        var grid = OxyColor.FromRgb(230, 230, 230);
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = x, MinimumMajorStep = 1, MinimumMinorStep = 1, MajorGridlineStyle = LineStyle.Solid, MajorGridlineColor = grid, MinimumPadding = 0.02, MaximumPadding = 0.02 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = y, MajorGridlineStyle = LineStyle.Solid, MajorGridlineColor = grid, MinimumPadding = 0.05, MaximumPadding = 0.05 });
        return model;
    }

    /// <summary>A dashed vertical line, labelled, where each stage after the first begins (x counted from 1).</summary>
    private static void StageMarks(PlotModel model, IReadOnlyList<string> stages)
    {
        for (int i = 1; i < stages.Count; i++)
            if (stages[i] != stages[i - 1])
                model.Annotations.Add(new LineAnnotation
                {
                    Type = LineAnnotationType.Vertical, X = i + 0.5, Color = OxyColors.Gray, LineStyle = LineStyle.Dash, Text = stages[i],
                    TextOrientation = AnnotationTextOrientation.Horizontal,
                });
    }
}
