using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Orleans.LlmRec.Scoring;

/// <summary>One user's top-K from a batch run; <see cref="User"/> is the dense index the request was built for.</summary>
public sealed record UserRecommendations(int User, IReadOnlyList<ScoredItem> Items);

/// <summary>How far a batch run is: users done of the total, and the time spent so far.</summary>
public readonly record struct BatchProgress(int Done, int Total, TimeSpan Elapsed)
{
    /// <summary>Users per second so far; 0 before the first chunk is done.</summary>
    public double UsersPerSecond => Elapsed > TimeSpan.Zero ? Done / Elapsed.TotalSeconds : 0;

    /// <summary>Time left at the rate so far; null until there is a rate.</summary>
    public TimeSpan? Remaining => UsersPerSecond > 0 ? TimeSpan.FromSeconds((Total - Done) / UsersPerSecond) : null;
}

/// <summary>
/// Top-K lists for many users through one <see cref="IScorer"/>: requests go to the scorer a chunk at a time, so its
/// batcher fills whole inference batches, and the next chunk is queued while the previous one's results are
/// consumed, so the scorer never waits on the consumer (writing a file). Results come back in the order of the users.
/// </summary>
public static class BatchRecommender
{
    /// <summary>Users per chunk: many scorer batches each, few enough that two chunks' results stay small in memory.</summary>
    public const int DefaultChunkSize = 2_048;

    /// <param name="users">The users to score, in output order.</param>
    /// <param name="requestFor">The request of one user: vector, bias, k and the items to leave out.</param>
    public static async IAsyncEnumerable<UserRecommendations> RecommendAsync(
        IScorer scorer,
        IReadOnlyList<int> users,
        Func<int, ScoringRequest> requestFor,
        IProgress<BatchProgress>? progress = null,
        int chunkSize = DefaultChunkSize,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scorer);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(requestFor);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        var watch = Stopwatch.StartNew();
        progress?.Report(new BatchProgress(0, users.Count, TimeSpan.Zero));
        Task<IReadOnlyList<ScoringResult>>? pending = null;
        var pendingStart = 0;
        for (var start = 0; start < users.Count || pending is not null; start += chunkSize)
        {
            Task<IReadOnlyList<ScoringResult>>? next = null;
            if (start < users.Count)
            {
                var count = Math.Min(chunkSize, users.Count - start);
                var requests = new ScoringRequest[count];
                for (var i = 0; i < count; i++) requests[i] = requestFor(users[start + i]);
                next = scorer.ScoreBatchAsync(requests, cancellationToken);
            }
            if (pending is not null)
            {
                var results = await pending.ConfigureAwait(false);
                for (var i = 0; i < results.Count; i++) yield return new UserRecommendations(users[pendingStart + i], results[i].Items);
                progress?.Report(new BatchProgress(pendingStart + results.Count, users.Count, watch.Elapsed));
            }
            pending = next;
            pendingStart = start;
        }
    }
}
