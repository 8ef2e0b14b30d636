using System.Collections.Concurrent;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// Counts calls to user grains per user on this silo while a dashboard watches (<see cref="DashboardCallFilter"/> tells
/// it of each); the sampler takes the top users and starts over every second. A call is counted under its grain id, not
/// a string made from it: a string is made only for the users <see cref="TakeTop"/> returns.
/// </summary>
public sealed class BusiestUsers
{
    private ConcurrentDictionary<GrainId, int> _calls = new();

    public void Count(GrainId user) => _calls.AddOrUpdate(user, 1, static (_, n) => n + 1);

    /// <summary>The <paramref name="count"/> users with most calls since the last take.</summary>
    public IReadOnlyList<UserCalls> TakeTop(int count)
    {
        var calls = Interlocked.Exchange(ref _calls, new ConcurrentDictionary<GrainId, int>());
        // ToArray takes the dictionary's locks: a call that still adds to the old dictionary cannot make the copy throw
        // (LINQ's ICollection.CopyTo did, and the sampler's exception stopped the host).
        return calls.IsEmpty ? [] : calls.ToArray().OrderByDescending(c => c.Value).Take(count).Select(c => new UserCalls(c.Key.Key.ToString()!, c.Value)).ToList();
    }
}
