namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// When a poller (a Redis stream or log read; SE.Redis has no blocking read on a shared connection) reads again. After
/// a read that found entries: at once, and the pauses start over. After an empty read: a pause that doubles from
/// <c>min</c> up to <c>busyMax</c>, so a source that is merely between bursts is still read within <c>busyMax</c>; once
/// nothing has been found for <c>idleAfter</c>, the pause doubles on, step by step, up to <c>idleMax</c>, so an idle
/// silo wakes a few times a second instead of twenty. The price: the first entry after such a quiet spell waits up to
/// <c>idleMax</c>. One loop owns an instance (not thread-safe).
/// </summary>
public sealed class PollBackoff
{
    private readonly TimeSpan _min;
    private readonly TimeSpan _busyMax;
    private readonly TimeSpan _idleAfter;
    private readonly TimeSpan _idleMax;
    private readonly TimeProvider _time;
    private TimeSpan _next;
    private long _lastFoundAt;

    public PollBackoff(TimeSpan min, TimeSpan busyMax, TimeSpan idleAfter, TimeSpan idleMax, TimeProvider time)
    {
        if (min <= TimeSpan.Zero || busyMax < min || idleMax < busyMax || idleAfter < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"Poll pauses need 0 < min ({min}) <= busyMax ({busyMax}) <= idleMax ({idleMax}) and idleAfter ({idleAfter}) >= 0.");
        }
        _min = min;
        _busyMax = busyMax;
        _idleAfter = idleAfter;
        _idleMax = idleMax;
        _time = time;
        _next = min;
        // A source nobody has read yet counts as busy from now: a starting silo reads eagerly for idleAfter.
        _lastFoundAt = time.GetTimestamp();
    }

    /// <summary>
    /// The pauses for a source read within <paramref name="busyMax"/> while busy and within <paramref name="idleSetting"/>
    /// once idle; an idle setting at or below <paramref name="busyMax"/> (an operator who wants even polling) reads
    /// within <paramref name="busyMax"/> throughout.
    /// </summary>
    public static PollBackoff WithIdleCeiling(TimeSpan min, TimeSpan busyMax, TimeSpan idleAfter, TimeSpan idleSetting, TimeProvider time) =>
        new(min, busyMax, idleAfter, idleSetting > busyMax ? idleSetting : busyMax, time);

    /// <summary>True once nothing has been found for <c>idleAfter</c>: pauses grow past <c>busyMax</c>.</summary>
    public bool IsIdle => _time.GetElapsedTime(_lastFoundAt) >= _idleAfter;

    /// <summary>A read found entries: the next read goes at once, and the next empty read pauses <c>min</c> again.</summary>
    public void Found()
    {
        _next = _min;
        _lastFoundAt = _time.GetTimestamp();
    }

    /// <summary>A read found nothing: the pause to take before the next read.</summary>
    public TimeSpan Empty()
    {
        var ceiling = IsIdle ? _idleMax : _busyMax;
        var pause = _next < ceiling ? _next : ceiling;
        var doubled = pause * 2;
        _next = doubled < _idleMax ? doubled : _idleMax;
        return pause;
    }
}
