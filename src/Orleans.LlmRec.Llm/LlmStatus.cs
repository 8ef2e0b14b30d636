namespace Orleans.LlmRec.Llm;

/// <summary>Whether the LLM features are on in this silo, and whether the endpoint is usable right now.</summary>
public interface ILlmStatus
{
    /// <summary>An endpoint is configured: profiles and re-ranking use the LLM.</summary>
    bool IsEnabled { get; }

    /// <summary>Enabled and the circuit breaker lets calls through (closed or half-open).</summary>
    bool IsAvailable { get; }

    LlmCircuitState CircuitState { get; }

    /// <summary>The endpoint requests go to, or null when disabled.</summary>
    string? Endpoint { get; }

    string? Model { get; }

    /// <summary>One line for logs and health output: what the LLM layer does now and why.</summary>
    string Describe();
}

internal sealed class LlmStatus(LlmOptions options, LlmCircuitBreakerState circuit) : ILlmStatus
{
    public bool IsEnabled => options.IsEnabled;

    public bool IsAvailable => IsEnabled && CircuitState != LlmCircuitState.Open;

    public LlmCircuitState CircuitState => IsEnabled ? circuit.State : LlmCircuitState.Closed;

    public string? Endpoint => IsEnabled ? options.Endpoint : null;

    public string? Model => IsEnabled ? options.Model : null;

    public string Describe() => IsEnabled
        ? $"LLM enabled: model '{options.Model}' at {options.Endpoint}; cache {(options.Cache.Enabled ? options.Cache.Kind.ToString() : "off")}, " +
          $"{options.MaxConcurrency} concurrent calls, {(options.TokensPerMinute > 0 ? $"{options.TokensPerMinute} tokens/min" : "no token budget")}, circuit {CircuitState}"
        : $"LLM disabled: no {LlmOptions.SectionName}:Endpoint configured; re-ranking uses the TF-IDF fallback and profiles are the users' own preference text";
}
