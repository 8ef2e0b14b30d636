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
        return IngestResult.Applied(await ApplyAsync(validation.Events, cancellationToken));
    }

    /// <summary>
    /// Applies events that already passed <see cref="EventBatchValidator"/> (the Redis stream validates each entry on
    /// its own, so one bad entry is set aside instead of refusing its neighbours): each user's events, in order, in
    /// one call to that user's grain. A failure for any user throws <see cref="EventsNotAppliedException"/>, which names
    /// the users whose events were applied.
    /// </summary>
    public async Task<IngestResponse> ApplyAsync(IReadOnlyList<UserEvent> events, CancellationToken cancellationToken = default)
    {
        var (users, ofUser) = ByUser(events);
        var calls = new Task<ApplyResult>[users.Count];
        for (var i = 0; i < calls.Length; i++) calls[i] = grains.GetUserGrain(users[i]).ApplyEventsAsync(ofUser[i]);
        try
        {
            await Task.WhenAll(calls).WaitAsync(cancellationToken);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Some users' grains may have applied theirs: say which, so a caller knows what a failure left behind.
            var cause = calls.FirstOrDefault(c => c.IsFaulted)?.Exception?.InnerException ?? e;
            throw new EventsNotAppliedException(
                [.. users.Where((_, i) => calls[i].IsCompletedSuccessfully)],
                [.. users.Where((_, i) => !calls[i].IsCompletedSuccessfully)],
                cause);
        }
        int accepted = 0, duplicates = 0;
        foreach (var call in calls)
        {
            accepted += call.Result.Applied;
            duplicates += call.Result.Duplicates;
        }
        return new IngestResponse { Accepted = accepted, Duplicates = duplicates, Users = users.Count };
    }

    /// <summary>
    /// The batch's users in order of first appearance, each with its events in batch order. A random batch of 100
    /// reaches ~92 users: a user's events start as a one-element array, a list only from the second.
    /// </summary>
    private static (List<string> Users, List<IReadOnlyList<UserEvent>> Events) ByUser(IReadOnlyList<UserEvent> events)
    {
        var users = new List<string>(events.Count);
        var ofUser = new List<IReadOnlyList<UserEvent>>(events.Count);
        var index = new Dictionary<string, int>(events.Count, StringComparer.Ordinal);
        foreach (var e in events)
        {
            if (!index.TryGetValue(e.UserId, out var at))
            {
                index.Add(e.UserId, users.Count);
                users.Add(e.UserId);
                ofUser.Add(new[] { e });
            }
            else if (ofUser[at] is List<UserEvent> list)
            {
                list.Add(e);
            }
            else
            {
                ofUser[at] = new List<UserEvent>(4) { ofUser[at][0], e };
            }
        }
        return (users, ofUser);
    }
}
