namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// Which item indexes an <see cref="ItemVectorIndex"/> holds, as a bit set readers test without a lock: a search never
/// returns an item that is not set here, whatever the native index still remembers. Writers serialise among
/// themselves (the index's mutation lock); growth publishes a new, larger array.
/// </summary>
internal sealed class LiveItems
{
    private long[] _words;
    private int _count;

    public LiveItems(int capacity) => _words = new long[Math.Max(1, (capacity + 63) / 64)];

    public int Count => Volatile.Read(ref _count);

    public bool Contains(int item)
    {
        var words = Volatile.Read(ref _words);
        var word = item >> 6;
        return (uint)word < (uint)words.Length && (Volatile.Read(ref words[word]) & (1L << (item & 63))) != 0;
    }

    /// <summary>Sets the item; returns false when it was already set. Callers serialise writes.</summary>
    public bool Set(int item)
    {
        var words = Volatile.Read(ref _words);
        var word = item >> 6;
        if (word >= words.Length)
        {
            var grown = new long[Math.Max(word + 1, words.Length + words.Length / 4 + 1)];
            Array.Copy(words, grown, words.Length);
            Volatile.Write(ref _words, grown);
            words = grown;
        }
        var bit = 1L << (item & 63);
        var before = Interlocked.Or(ref words[word], bit);
        if ((before & bit) != 0) return false;
        Interlocked.Increment(ref _count);
        return true;
    }

    /// <summary>Clears the item; returns false when it was not set. Callers serialise writes.</summary>
    public bool Clear(int item)
    {
        var words = Volatile.Read(ref _words);
        var word = item >> 6;
        if ((uint)word >= (uint)words.Length) return false;
        var bit = 1L << (item & 63);
        var before = Interlocked.And(ref words[word], ~bit);
        if ((before & bit) == 0) return false;
        Interlocked.Decrement(ref _count);
        return true;
    }
}
