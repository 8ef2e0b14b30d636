using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>Counters of the Redis Streams consumer (meter <c>Orleans.LlmRec.EventStream</c>).</summary>
public sealed class EventStreamMetrics
{
    public const string MeterName = "Orleans.LlmRec.EventStream";

    public EventStreamMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        Applied = meter.CreateCounter<long>("llmrec.event_stream.applied", "{event}", "Entries applied to a user for the first time.");
        Duplicates = meter.CreateCounter<long>("llmrec.event_stream.duplicates", "{event}", "Entries whose event id the user had already applied.");
        DeadLettered = meter.CreateCounter<long>("llmrec.event_stream.dead_lettered", "{event}", "Entries set aside (malformed, invalid, or given up after repeated failures) and acknowledged.");
        Reclaimed = meter.CreateCounter<long>("llmrec.event_stream.reclaimed", "{event}", "Pending entries of idle consumers claimed by this one.");
        ApplyFailures = meter.CreateCounter<long>("llmrec.event_stream.apply_failures", "{batch}", "Batches left unacknowledged because applying them failed; they are retried.");
    }

    public Counter<long> Applied { get; }
    public Counter<long> Duplicates { get; }
    public Counter<long> DeadLettered { get; }
    public Counter<long> Reclaimed { get; }
    public Counter<long> ApplyFailures { get; }
}
