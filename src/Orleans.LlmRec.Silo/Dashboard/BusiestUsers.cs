using System.Collections.Concurrent;
using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Counts calls to user grains per user on this silo while a dashboard watches (an incoming grain call filter); when
/// none does, a call costs one volatile read. The sampler takes the top users and starts over every second.
/// </summary>
public sealed class BusiestUsers(DashboardWatch watch) : IIncomingGrainCallFilter
{
    private ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (watch.IsWatched && context.Grain is IUserGrain)
        {
            _calls.AddOrUpdate(context.TargetId.Key.ToString()!, 1, static (_, n) => n + 1);
        }
        return context.Invoke();
    }

    /// <summary>The <paramref name="count"/> users with most calls since the last take.</summary>
    public IReadOnlyList<UserCalls> TakeTop(int count)
    {
        var calls = Interlocked.Exchange(ref _calls, new ConcurrentDictionary<string, int>(StringComparer.Ordinal));
        // ToArray takes the dictionary's locks: a call that still adds to the old dictionary cannot make the copy throw
        // (LINQ's ICollection.CopyTo did, and the sampler's exception stopped the host).
        return calls.IsEmpty ? [] : calls.ToArray().OrderByDescending(c => c.Value).Take(count).Select(c => new UserCalls(c.Key, c.Value)).ToList();
    }
}
