using Microsoft.ML.Data;
using Microsoft.ML.Transforms.Image;

namespace Fcn.MLNet.Mappings;

/// <summary>
/// Marks an <see cref="MLImage"/> member as an image column of unknown size. (ML.NET's own <c>[ImageType]</c>
/// needs a fixed height and width.)
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class FcnImageTypeAttribute : DataViewTypeAttribute
{
    /// <inheritdoc />
    public override void Register() => DataViewTypeManager.Register(new ImageDataViewType(), typeof(MLImage), this);

    /// <inheritdoc />
    public override bool Equals(DataViewTypeAttribute other) => other is FcnImageTypeAttribute;

    /// <inheritdoc />
    public override int GetHashCode() => typeof(FcnImageTypeAttribute).GetHashCode();
}
