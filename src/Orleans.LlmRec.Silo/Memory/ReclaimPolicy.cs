namespace Orleans.LlmRec.Silo.Memory;

/// <summary>
/// When to compact the heap after idle grains left: once the activations in this silo have fallen to a quarter of
/// their peak since the last compaction, and by at least <c>minShrink</c>. A wave of a million idle users going away
/// then costs two or three compactions of a shrinking heap; a steady trickle of deactivations (users come and go at
/// about the same rate) costs none, so a silo under steady load never pays a blocking collection for it.
/// </summary>
public sealed class ReclaimPolicy(long minShrink)
{
    private long _peak;

    /// <summary>The highest activation count seen since the last compaction.</summary>
    public long Peak => _peak;

    /// <summary>Records the activation count now; true when the heap is to be compacted (the peak then starts over).</summary>
    public bool ShouldReclaim(long active)
    {
        if (active > _peak) _peak = active;
        if (minShrink <= 0 || _peak - active < minShrink || active > _peak / 4) return false;
        _peak = active;
        return true;
    }
}
