using Orleans.LlmRec.Llm;

namespace Orleans.LlmRec.Silo.Extensions;

/// <summary>
/// The meters this service publishes, for whichever metrics exporter a deployment adds; this is the one place to
/// register them. Every instrument is created through the host's <c>IMeterFactory</c>, so they are live without an
/// exporter too: <c>dotnet-counters monitor -n Orleans.LlmRec.Silo --counters Orleans.LlmRec.Llm,Microsoft.Orleans</c>.
/// With OpenTelemetry: <c>services.AddOpenTelemetry().WithMetrics(m => m.AddMeter([.. LlmRecMeters.All]))</c>.
/// </summary>
public static class LlmRecMeters
{
    /// <summary>Orleans' own instruments (activations, request latency, storage latency).</summary>
    public const string Orleans = "Microsoft.Orleans";

    /// <summary>
    /// The LLM layer: <c>llmrec.llm.calls</c>, <c>.errors</c>, <c>.latency</c>, <c>.tokens</c>, <c>.cache.hits</c>,
    /// <c>.queue.depth</c>, <c>.queue.shed</c>, <c>.rerank.rejected_ids</c>, <c>.rerank.clamped_scores</c>,
    /// <c>.circuit.state</c>, <c>.circuit.transitions</c> (docs/llm.md, "Metrics").
    /// </summary>
    public const string Llm = LlmMetrics.MeterName;

    /// <summary>The chat client pipeline's OpenTelemetry instruments (token usage and operation duration per call).</summary>
    public const string ChatClient = "Experimental.Microsoft.Extensions.AI";

    public static IReadOnlyList<string> All { get; } = [Orleans, Llm, ChatClient];
}
