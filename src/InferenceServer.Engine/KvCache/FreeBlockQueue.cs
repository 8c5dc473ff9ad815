namespace InferenceServer.Engine.KvCache;

/// <summary>
/// Free blocks in allocation order: taken from the front, returned to the back. A doubly linked list over
/// block ids so a block can also leave from the middle in O(1).
/// </summary>
internal sealed class FreeBlockQueue
{
    private const int None = -1;
    private readonly int[] _next;
    private readonly int[] _prev;
    private readonly bool[] _inQueue;
    private int _head = None;
    private int _tail = None;

    /// <summary>Creates a queue holding blocks 0 … <paramref name="numBlocks"/> − 1 in order.</summary>
    public FreeBlockQueue(int numBlocks)
    {
        _next = new int[numBlocks];
        _prev = new int[numBlocks];
        _inQueue = new bool[numBlocks];
        for (int i = 0; i < numBlocks; i++)
            Append(i);
    }

    /// <summary>Blocks in the queue.</summary>
    public int Count { get; private set; }

    /// <summary>True when <paramref name="blockId"/> is in the queue.</summary>
    public bool Contains(int blockId) => _inQueue[blockId];

    /// <summary>Removes and returns the front block id.</summary>
    /// <exception cref="InvalidOperationException">The queue is empty.</exception>
    public int PopFront()
    {
        if (_head == None)
            throw new InvalidOperationException("No free block.");
        int id = _head;
        Remove(id);
        return id;
    }

    /// <summary>Adds <paramref name="blockId"/> at the back.</summary>
    /// <exception cref="InvalidOperationException">The block is already in the queue.</exception>
    public void Append(int blockId)
    {
        if (_inQueue[blockId])
            throw new InvalidOperationException($"Block {blockId} is already free.");
        _inQueue[blockId] = true;
        _prev[blockId] = _tail;
        _next[blockId] = None;
        if (_tail == None) _head = blockId; else _next[_tail] = blockId;
        _tail = blockId;
        Count++;
    }

    /// <summary>Removes <paramref name="blockId"/> from wherever it stands.</summary>
    /// <exception cref="InvalidOperationException">The block is not in the queue.</exception>
    public void Remove(int blockId)
    {
        if (!_inQueue[blockId])
            throw new InvalidOperationException($"Block {blockId} is not free.");
        int prev = _prev[blockId], next = _next[blockId];
        if (prev == None) _head = next; else _next[prev] = next;
        if (next == None) _tail = prev; else _prev[next] = prev;
        _inQueue[blockId] = false;
        Count--;
    }

    /// <summary>Block ids front to back (for tests and diagnostics).</summary>
    public IEnumerable<int> Enumerate()
    {
        for (int id = _head; id != None; id = _next[id])
            yield return id;
    }
}
