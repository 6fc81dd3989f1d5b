namespace Fcn.MLNet.Datasets;

/// <summary>The standard semantic segmentation datasets whose folder layouts Fcn.MLNet reads as they are distributed.</summary>
public enum SegmentationDatasetKind
{
    /// <summary>
    /// PASCAL VOC 2012 (<c>voc</c>): <c>JPEGImages/*.jpg</c>, <c>SegmentationClass/*.png</c> (palette PNGs, the index is
    /// the class), splits listed in <c>ImageSets/Segmentation/&lt;split&gt;.txt</c>; 21 classes, 255 ignored.
    /// </summary>
    PascalVoc,

    /// <summary>
    /// Cityscapes fine annotations (<c>cityscapes</c>): <c>leftImg8bit/&lt;split&gt;/&lt;city&gt;/*_leftImg8bit.png</c> with
    /// <c>gtFine/&lt;split&gt;/&lt;city&gt;/*_gtFine_labelIds.png</c>; labelIds mapped to the 19 train ids, all else 255.
    /// </summary>
    Cityscapes,

    /// <summary>
    /// ADE20K SceneParsing, ADEChallengeData2016 (<c>ade20k</c>): <c>images/&lt;training|validation&gt;/*.jpg</c> with
    /// <c>annotations/&lt;same&gt;/*.png</c>; 150 classes, 1–150 → 0–149 and 0 ("other") → 255.
    /// </summary>
    Ade20k,

    /// <summary>
    /// CamVid in the SegNet layout (<c>camvid</c>): <c>&lt;split&gt;/*.png</c> with <c>&lt;split&gt;annot/*.png</c>;
    /// 11 classes, 11 (void) ignored.
    /// </summary>
    CamVid,
}
