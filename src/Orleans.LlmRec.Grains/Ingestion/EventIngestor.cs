using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// Stage <b>ingest</b> of the feed path: the one way a batch of events enters the service over HTTP (on a silo, or
/// through an API tier), so every batch gets the same validation, grouping and idempotency.
/// </summary>
public interface IEventIngestor
{
    /// <summary>
    /// Validates the whole batch first (nothing is applied if any event is bad), then applies each user's events, in
    /// batch order, through that user's grain. Re-sending a batch is safe: events are de-duplicated by id against each
    /// user's last 1,000 event ids.
    /// </summary>
    Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch, CancellationToken cancellationToken = default);
}

public sealed class EventIngestor(IGrainFactory grains, SiloModel serving, IOptions<IngestionOptions> options, TimeProvider time, LiveCatalogue? liveCatalogue = null) : IEventIngestor
{
    /// <summary>Concurrent batches' events of one user share a grain call (HTTP only: the stream path joins its reads itself).</summary>
    private readonly JoinedUserCalls _joined = new(grains);

    public async Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch, CancellationToken cancellationToken = default)
    {
        var validation = EventBatchValidator.Validate(batch, serving.Catalogue, options.Value, time.GetUtcNow());
        // An item another silo published a moment ago may not be applied here yet: catch up before calling it unknown.
        // Only a refused batch is looked at again, so a good batch's items are looked up once, not twice. It is
        // validated again even when this catch-up applied nothing: the catalogue tailer may have applied the item
        // since the first validation.
        if (!validation.IsValid && liveCatalogue is not null && batch is not null
            && batch.Any(e => e?.ItemId is { } id && !serving.Catalogue.Contains(id)))
        {
            await liveCatalogue.CatchUpAsync(cancellationToken);
            validation = EventBatchValidator.Validate(batch, serving.Catalogue, options.Value, time.GetUtcNow());
        }
        if (!validation.IsValid)
        {
            return IngestResult.Refused(validation.Errors);
        }
        return IngestResult.Applied(options.Value.JoinConcurrentBatches
            ? await ApplyAsync(validation.Events, _joined.ApplyAsync, cancellationToken)
            : await ApplyAsync(validation.Events, cancellationToken));
    }

    /// <summary>
    /// Applies events that already passed <see cref="EventBatchValidator"/> (the Redis stream validates each entry on
    /// its own, so one bad entry is set aside instead of refusing its neighbours): each user's events, in order, in
    /// one call to that user's grain. A failure for any user throws <see cref="EventsNotAppliedException"/>, which names
    /// the users whose events were applied.
    /// </summary>
    public Task<IngestResponse> ApplyAsync(IReadOnlyList<UserEvent> events, CancellationToken cancellationToken = default) =>
        ApplyAsync(events, (user, ofUser) => grains.GetUserGrain(user).ApplyEventsAsync(ofUser), cancellationToken);

    private static async Task<IngestResponse> ApplyAsync(IReadOnlyList<UserEvent> events, Func<string, IReadOnlyList<UserEvent>, Task<ApplyResult>> applyToUser,
        CancellationToken cancellationToken)
    {
        var perUser = events.GroupBy(e => e.UserId, StringComparer.Ordinal).ToList();
        var calls = perUser.Select(g => applyToUser(g.Key, g.ToList())).ToArray();
        ApplyResult[] results;
        try
        {
            results = await Task.WhenAll(calls).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Some users' grains may have applied theirs: say which, so a caller knows what a failure left behind.
            var cause = calls.FirstOrDefault(c => c.IsFaulted)?.Exception?.InnerException ?? e;
            throw new EventsNotAppliedException(
                [.. perUser.Where((_, i) => calls[i].IsCompletedSuccessfully).Select(g => g.Key)],
                [.. perUser.Where((_, i) => !calls[i].IsCompletedSuccessfully).Select(g => g.Key)],
                cause);
        }
        return new IngestResponse
        {
            Accepted = results.Sum(r => r.Applied),
            Duplicates = results.Sum(r => r.Duplicates),
            Users = perUser.Count,
        };
    }
}
