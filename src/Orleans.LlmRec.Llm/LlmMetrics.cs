using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// The LLM layer's instruments, on the meter <c>Orleans.LlmRec.Llm</c>. One instance per silo (a DI singleton);
/// tests create their own so their measurements do not mix.
/// </summary>
public sealed class LlmMetrics : IDisposable
{
    public const string MeterName = "Orleans.LlmRec.Llm";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Counter<long> _calls;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _latency;
    private readonly Counter<long> _tokens;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _shedJobs;
    private readonly Counter<long> _rejectedIds;
    private readonly Counter<long> _clampedScores;
    private readonly Counter<long> _circuitTransitions;
    private Func<int> _queueDepth = static () => 0;
    private Func<LlmCircuitState> _circuitState = static () => LlmCircuitState.Closed;

    /// <param name="meterFactory">The host's factory; without one the meter is created here and disposed with this.</param>
    public LlmMetrics(IMeterFactory? meterFactory = null)
    {
        if (meterFactory is null)
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }
        else
        {
            _meter = meterFactory.Create(MeterName);
        }

        _calls = _meter.CreateCounter<long>("llmrec.llm.calls", "{call}",
            "LLM calls by operation and outcome (success, failure, malformed, invalid).");
        _errors = _meter.CreateCounter<long>("llmrec.llm.errors", "{error}",
            "Failed LLM calls by operation and reason (timeout, circuit_open, rate_limited, server_error, malformed...).");
        _latency = _meter.CreateHistogram<double>("llmrec.llm.latency", "s", "Duration of LLM calls, cache hits included.");
        _tokens = _meter.CreateCounter<long>("llmrec.llm.tokens", "{token}",
            "Tokens spent by operation and direction (input, output); cache hits spend none.");
        _cacheHits = _meter.CreateCounter<long>("llmrec.llm.cache.hits", "{hit}", "LLM answers served from the response cache.");
        _shedJobs = _meter.CreateCounter<long>("llmrec.llm.queue.shed", "{job}",
            "Jobs the work queue dropped unrun because it was full.");
        _rejectedIds = _meter.CreateCounter<long>("llmrec.llm.rerank.rejected_ids", "{id}",
            "Item ids in LLM answers that were dropped: not a candidate (hallucinated) or repeated (duplicate).");
        _clampedScores = _meter.CreateCounter<long>("llmrec.llm.rerank.clamped_scores", "{score}",
            "Re-rank scores outside [0, 1] that were clamped.");
        _circuitTransitions = _meter.CreateCounter<long>("llmrec.llm.circuit.transitions", "{transition}",
            "Circuit breaker state changes by the state entered.");
        _meter.CreateObservableGauge("llmrec.llm.queue.depth", () => _queueDepth(), "{job}", "Jobs waiting in the LLM work queue.");
        _meter.CreateObservableGauge("llmrec.llm.circuit.state", () => (int)_circuitState(), "{state}",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open.");
    }

    public Meter Meter => _meter;

    internal void ObserveQueueDepth(Func<int> depth) => _queueDepth = depth;

    internal void ObserveCircuit(Func<LlmCircuitState> state) => _circuitState = state;

    internal void RecordCall(string operation, string outcome, TimeSpan latency, LlmUsage usage)
    {
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        _calls.Add(1, operationTag, new KeyValuePair<string, object?>("outcome", outcome));
        _latency.Record(latency.TotalSeconds, operationTag, new KeyValuePair<string, object?>("cached", usage.FromCache));
        if (usage.FromCache)
        {
            return;
        }
        if (usage.InputTokens > 0)
        {
            _tokens.Add(usage.InputTokens, operationTag, new KeyValuePair<string, object?>("direction", "input"));
        }
        if (usage.OutputTokens > 0)
        {
            _tokens.Add(usage.OutputTokens, operationTag, new KeyValuePair<string, object?>("direction", "output"));
        }
    }

    internal void RecordError(string operation, string reason) =>
        _errors.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("reason", reason));

    internal void RecordCacheHit() => _cacheHits.Add(1);

    internal void RecordShed(string kind) => _shedJobs.Add(1, new KeyValuePair<string, object?>("kind", kind));

    internal void RecordValidation(string operation, int unknownIds, int duplicateIds, int clampedScores)
    {
        var operationTag = new KeyValuePair<string, object?>("operation", operation);
        if (unknownIds > 0)
        {
            _rejectedIds.Add(unknownIds, operationTag, new KeyValuePair<string, object?>("reason", "unknown"));
        }
        if (duplicateIds > 0)
        {
            _rejectedIds.Add(duplicateIds, operationTag, new KeyValuePair<string, object?>("reason", "duplicate"));
        }
        if (clampedScores > 0)
        {
            _clampedScores.Add(clampedScores, operationTag);
        }
    }

    internal void RecordCircuitTransition(LlmCircuitState entered) =>
        _circuitTransitions.Add(1, new KeyValuePair<string, object?>("state", entered.ToString()));

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
