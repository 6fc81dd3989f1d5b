namespace Fcn.MLNet;

/// <summary>
/// An <see cref="IProgress{T}"/> that runs its handler on the reporting thread, in order. (<see cref="Progress{T}"/>
/// posts to the thread pool, so reports can arrive late or interleaved — wrong for logs and tests.)
/// </summary>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    /// <inheritdoc />
    public void Report(T value) => handler(value);
}
