namespace Fcn.MLNet.Training.Engine;

/// <summary>
/// A bounded least-recently-used cache of step sessions keyed by image shape (N, H, W). Training at native image
/// size creates one session per distinct shape; the least recently used one is disposed when the cache is full.
/// </summary>
internal sealed class SessionCache : IDisposable
{
    private readonly int _capacity;
    private readonly Dictionary<(int N, int H, int W), LinkedListNode<((int, int, int) Key, StepSession Session)>> _index = new();
    private readonly LinkedList<((int, int, int) Key, StepSession Session)> _order = new();

    public SessionCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    /// <summary>Number of sessions built so far (cache misses).</summary>
    public int Built { get; private set; }

    /// <summary>Sessions currently held.</summary>
    public int Count => _index.Count;

    public StepSession Get((int N, int H, int W) key, Func<StepSession> create)
    {
        if (_index.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            return node.Value.Session;
        }
        while (_index.Count >= _capacity)
        {
            var last = _order.Last!;
            _order.RemoveLast();
            _index.Remove(last.Value.Key);
            last.Value.Session.Dispose();
        }
        var session = create();
        Built++;
        _index[key] = _order.AddFirst((key, session));
        return session;
    }

    public void Dispose()
    {
        foreach (var (_, session) in _order) session.Dispose();
        _order.Clear();
        _index.Clear();
    }
}
