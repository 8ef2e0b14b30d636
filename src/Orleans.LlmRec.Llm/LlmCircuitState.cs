using Polly.CircuitBreaker;

namespace Orleans.LlmRec.Llm;

/// <summary>The state of the circuit breaker in front of the LLM endpoint.</summary>
public enum LlmCircuitState
{
    /// <summary>Calls flow normally.</summary>
    Closed,

    /// <summary>Too many calls failed recently: calls fail at once without reaching the server.</summary>
    Open,

    /// <summary>The break is over; the next call is a trial that closes or re-opens the circuit.</summary>
    HalfOpen,
}

/// <summary>
/// One per silo: the state provider Polly's circuit breaker reports into, read by <see cref="ILlmStatus"/> and metrics.
/// </summary>
public sealed class LlmCircuitBreakerState
{
    public CircuitBreakerStateProvider Provider { get; } = new();

    public LlmCircuitState State => Provider.CircuitState switch
    {
        CircuitState.Closed => LlmCircuitState.Closed,
        CircuitState.HalfOpen => LlmCircuitState.HalfOpen,
        // Isolated is a manual open; we never isolate, but if someone does, it behaves as open.
        _ => LlmCircuitState.Open,
    };
}
