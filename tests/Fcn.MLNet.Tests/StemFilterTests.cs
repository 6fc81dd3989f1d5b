using Fcn.MLNet.Data;
using Fcn.MLNet.Tests.Support;

namespace Fcn.MLNet.Tests;

/// <summary>Sequence-aware splits by file-name prefix, in the library and in <c>fcn train</c>.</summary>
public class StemFilterTests
{
    private static readonly FilePair[] CamVidLike = new[] { "0001TP_006690", "0001TP_006720", "0006R0_f00930", "0016E5_00390", "0016E5_00420", "Seq05VD_f00000" }
        .Select(s => new FilePair(s, s + ".png", s + ".png")).ToArray();

    [Test]
    public void Holding_out_a_sequence_keeps_its_frames_out_of_training()
    {
        var train = StemFilter.Parse(null, "0006R0,Seq05VD").Apply(CamVidLike, "train");
        var heldOut = StemFilter.Parse("0006R0", null).Apply(CamVidLike, "val");
        Assert.That(train.Select(p => p.Stem), Is.EqualTo(new[] { "0001TP_006690", "0001TP_006720", "0016E5_00390", "0016E5_00420" }));
        Assert.That(heldOut.Select(p => p.Stem), Is.EqualTo(new[] { "0006R0_f00930" }));
        Assert.That(StemFilter.Describe(StemFilter.Sequences(CamVidLike)), Is.EqualTo("0001TP 2, 0006R0 1, 0016E5 2, Seq05VD 1"));
        Assert.That(StemFilter.All.Apply(CamVidLike, "x"), Is.SameAs(CamVidLike));
    }

    [Test]
    public void A_prefix_that_matches_nothing_is_an_error_listing_the_sequences()
    {
        var e = Assert.Throws<InvalidDataException>(() => StemFilter.Parse("0006RO", null).Apply(CamVidLike, "--images"));
        Assert.That(e!.Message, Does.Contain("no file name starts with '0006RO'").And.Contain("0006R0 1"));
        Assert.Throws<InvalidDataException>(() => StemFilter.Parse("0001TP", "0001").Apply(CamVidLike, "--images"), "keeps nothing");
    }

    [Test]
    public void Fcn_train_reports_the_sequences_and_warns_when_validation_shares_one_with_training()
    {
        string dir = TestPaths.NewTempFolder();
        var data = ChannelDataset.Write(dir);
        string[] Common(params string[] extra) => new[] { "train", "--model", data.BaseModel, "--images", data.Images, "--masks", data.Masks,
            "--num-classes", "3", "--iterations", "1", "--scale", "0.00392157", "--output", Path.Combine(dir, "o.onnx"), "--overwrite" }.Concat(extra).ToArray();

        var apart = FcnProcess.Run(Common("--exclude", "s0", "--val-images", data.Images, "--val-masks", data.Masks, "--val-include", "s0"));
        Assert.That(apart.ExitCode, Is.Zero, apart.StdErr);
        Assert.That(apart.StdOut, Does.Contain("training sequences: s1 1, s2 1, s3 1; validation sequences: s0 1").And.Not.Contain("shares"));
        Assert.That(apart.StdOut, Does.Contain("training on 3 image(s)"));

        var shared = FcnProcess.Run(Common("--val-images", data.Images, "--val-masks", data.Masks, "--val-include", "s0,s1"));
        Assert.That(shared.StdOut, Does.Contain("validation shares sequence(s) s0, s1 with training"));

        var typo = FcnProcess.Run(Common("--include", "x9"));
        Assert.That(typo.ExitCode, Is.EqualTo(1));
        Assert.That(typo.StdErr, Does.Contain("no file name starts with 'x9'"));
        Assert.That(FcnProcess.Run(Common("--val-include", "s0")).ExitCode, Is.EqualTo(2), "--val-include needs --val-images");
    }
}
