using System.Diagnostics;
using System.Threading.Channels;

namespace Orleans.LlmRec.Scoring;

/// <summary>Forms batches: gathers queued requests off the channel, then groups them by the session they run on.</summary>
internal static class BatchCollector
{
    /// <summary>
    /// Adds to <paramref name="batch"/> what is queued, then keeps waiting for more until it holds
    /// <paramref name="maxBatchSize"/> requests or <paramref name="maxBatchWait"/> has passed.
    /// </summary>
    public static async Task CollectAsync(ChannelReader<PendingRequest> reader, List<PendingRequest> batch, int maxBatchSize, TimeSpan maxBatchWait)
    {
        var max = maxBatchSize;
        while (batch.Count < max && reader.TryRead(out var first)) batch.Add(first);
        if (batch.Count == 0 || batch.Count >= max || maxBatchWait <= TimeSpan.Zero) return;
        var started = Stopwatch.GetTimestamp();
        // One timer per batch, not one per wait: a batch filled one request at a time waits many times.
        Task? deadline = null;
        while (batch.Count < max)
        {
            if (reader.TryRead(out var next))
            {
                batch.Add(next);
                continue;
            }
            var remaining = maxBatchWait - Stopwatch.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero) return;
            deadline ??= Task.Delay(remaining);
            var more = reader.WaitToReadAsync().AsTask();
            if (await Task.WhenAny(more, deadline).ConfigureAwait(false) != more || !await more.ConfigureAwait(false)) return;
        }
    }

    /// <summary>
    /// Splits a batch by model and graph; requests cancelled while queued are finished and left out.
    /// </summary>
    public static List<(LoadedOnnxModel Model, bool Candidates, List<PendingRequest> Requests)> GroupBySession(List<PendingRequest> batch)
    {
        // A batch can straddle a swap or mix full-catalogue and candidate requests: each group runs on its own
        // session, and every request on the model it took a reference on when it was queued.
        var groups = new List<(LoadedOnnxModel Model, bool Candidates, List<PendingRequest> Requests)>(1);
        foreach (var pending in batch)
        {
            if (pending.Completion.Task.IsCompleted)
            {
                // Cancelled while queued.
                pending.Finish();
                continue;
            }
            var candidates = pending.Request.Candidates is not null;
            var index = groups.FindIndex(g => ReferenceEquals(g.Model, pending.Model) && g.Candidates == candidates);
            if (index < 0)
            {
                groups.Add((pending.Model, candidates, []));
                index = groups.Count - 1;
            }
            groups[index].Requests.Add(pending);
        }
        return groups;
    }
}
