namespace Orleans.LlmRec.Llm.Queue;

/// <summary>
/// A tokens-per-minute budget as a token bucket: it holds at most one minute's worth, refills continuously, and a
/// job may start when the bucket holds its estimated cost. Real usage is only known after the call, so the
/// estimate is reserved up front and the difference settled afterwards (the bucket may go below zero when a call
/// cost more than estimated, which delays the next jobs accordingly). Not thread-safe: the queue calls it under its lock.
/// </summary>
internal sealed class TokenBudget
{
    private readonly double _capacity;
    private readonly double _tokensPerTick;
    private readonly TimeProvider _timeProvider;
    private double _level;
    private long _lastRefill;

    /// <param name="tokensPerMinute">0 means no budget: every job may start at once.</param>
    public TokenBudget(int tokensPerMinute, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tokensPerMinute);
        _timeProvider = timeProvider;
        _capacity = tokensPerMinute;
        _tokensPerTick = tokensPerMinute / (60.0 * timeProvider.TimestampFrequency);
        _level = _capacity;
        _lastRefill = timeProvider.GetTimestamp();
    }

    public bool IsUnlimited => _capacity == 0;

    public double Available
    {
        get
        {
            Refill();
            return _level;
        }
    }

    /// <summary>
    /// Reserves <paramref name="estimate"/> tokens and returns zero, or reserves nothing and returns how long to wait
    /// until they will be there. A job larger than the whole bucket may start once the bucket is full, so it is not
    /// starved forever.
    /// </summary>
    public TimeSpan TryReserve(int estimate)
    {
        if (IsUnlimited || estimate <= 0)
        {
            return TimeSpan.Zero;
        }
        Refill();
        var needed = Math.Min(estimate, _capacity);
        if (_level >= needed)
        {
            _level -= estimate;
            return TimeSpan.Zero;
        }
        var ticks = (needed - _level) / _tokensPerTick;
        var wait = TimeSpan.FromSeconds(ticks / _timeProvider.TimestampFrequency);
        return wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait;
    }

    /// <summary>Corrects a reservation once the call's real cost is known (zero when it was answered from the cache).</summary>
    public void Settle(int reserved, long spent)
    {
        if (IsUnlimited)
        {
            return;
        }
        Refill();
        _level = Math.Min(_capacity, _level + reserved - spent);
    }

    private void Refill()
    {
        var now = _timeProvider.GetTimestamp();
        _level = Math.Min(_capacity, _level + ((now - _lastRefill) * _tokensPerTick));
        _lastRefill = now;
    }
}
