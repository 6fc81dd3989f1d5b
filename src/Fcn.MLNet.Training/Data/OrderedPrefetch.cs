using System.Runtime.ExceptionServices;

namespace Fcn.MLNet.Training.Data;

/// <summary>
/// Runs <c>produce(0)</c>, <c>produce(1)</c>, … on background workers and yields the results in index order, at most
/// <c>capacity</c> results ahead of the consumer (so memory is bounded by the capacity, not by the count). An item's
/// value depends only on its index, so the sequence is the same whatever the number of workers. A worker's exception
/// is rethrown to the consumer at that item; when the consumer stops early the workers stop and are awaited.
/// </summary>
internal static class OrderedPrefetch
{
    public static IEnumerable<T> Run<T>(long count, int workers, int capacity, Func<long, T> produce)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        var ready = new Dictionary<long, (T Value, ExceptionDispatchInfo? Error)>();
        var gate = new object();
        using var space = new SemaphoreSlim(capacity);
        using var stop = new CancellationTokenSource();
        long claimed = -1;
        void Work()
        {
            while (true)
            {
                try { space.Wait(stop.Token); }
                catch (OperationCanceledException) { return; }
                long index = Interlocked.Increment(ref claimed);
                if (index >= count || stop.IsCancellationRequested) return;
                (T, ExceptionDispatchInfo?) result;
                try { result = (produce(index), null); }
                catch (Exception e) { result = (default!, ExceptionDispatchInfo.Capture(e)); }
                lock (gate)
                {
                    ready[index] = result;
                    Monitor.PulseAll(gate);
                }
            }
        }
        var tasks = Enumerable.Range(0, workers).Select(_ => Task.Factory.StartNew(Work, TaskCreationOptions.LongRunning)).ToArray();
        try
        {
            for (long next = 0; next < count; next++)
            {
                (T Value, ExceptionDispatchInfo? Error) item;
                lock (gate)
                {
                    while (!ready.Remove(next, out item)) Monitor.Wait(gate);
                }
                space.Release();
                item.Error?.Throw();
                yield return item.Value;
            }
        }
        finally
        {
            stop.Cancel();
            Task.WaitAll(tasks);
        }
    }
}
