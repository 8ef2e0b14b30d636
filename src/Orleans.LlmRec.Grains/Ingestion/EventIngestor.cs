using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// Stage <b>ingest</b> of the feed path: the one way events enter the service. The HTTP endpoint calls it, and so will
/// a Redis Streams consumer, so both get the same validation, grouping and idempotency.
/// </summary>
public interface IEventIngestor
{
    /// <summary>
    /// Validates the whole batch first (nothing is applied if any event is bad), then applies each user's events, in
    /// batch order, through that user's grain. Re-sending a batch is safe: events are de-duplicated by id against each user's last 1,000 ids.
    /// </summary>
    Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch, CancellationToken cancellationToken = default);
}

public sealed class EventIngestor(IGrainFactory grains, SiloModel serving, IOptions<IngestionOptions> options, TimeProvider time) : IEventIngestor
{
    public async Task<IngestResult> IngestAsync(IReadOnlyList<IncomingEvent?>? batch, CancellationToken cancellationToken = default)
    {
        var validation = EventBatchValidator.Validate(batch, serving.Catalogue, options.Value, time.GetUtcNow());
        if (!validation.IsValid)
        {
            return IngestResult.Refused(validation.Errors);
        }
        var perUser = validation.Events.GroupBy(e => e.UserId, StringComparer.Ordinal).ToList();
        var results = await Task.WhenAll(perUser.Select(g => grains.GetUserGrain(g.Key).ApplyEventsAsync(g.ToList())))
            .WaitAsync(cancellationToken);
        var response = new IngestResponse
        {
            Accepted = results.Sum(r => r.Applied),
            Duplicates = results.Sum(r => r.Duplicates),
            Users = perUser.Count,
        };
        return IngestResult.Applied(response);
    }
}
