using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Llm;

/// <summary>Where LLM answers are cached.</summary>
public enum LlmCacheKind
{
    /// <summary>In this process only; lost on restart, not shared between silos.</summary>
    Memory,

    /// <summary>Shared by all silos through Redis (<see cref="LlmCacheOptions.RedisConnectionString"/>).</summary>
    Redis,
}

/// <summary>
/// Configuration of the LLM layer, bound from the <c>Llm</c> section. With no <see cref="Endpoint"/> the LLM features
/// are off: re-ranking falls back to TF-IDF and profiles to the user's own preference text. Checked with
/// DataAnnotations (ranges on the keys, <see cref="Validate"/> for rules across keys), as every section is; settings
/// Polly would refuse later are refused here, naming the key.
/// </summary>
public sealed class LlmOptions : IValidatableObject
{
    public const string SectionName = "Llm";

    public const string DefaultApiKeyEnvironmentVariable = "LLMREC_LLM_API_KEY";

    /// <summary>Base address of an OpenAI-compatible API, including <c>/v1</c> (e.g. <c>http://localhost:11434/v1</c>).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Model (or Azure deployment) name sent with each request.</summary>
    public string Model { get; set; } = "llama3.1:8b";

    /// <summary>
    /// Name of the environment variable holding the API key. The key itself is never read from configuration files,
    /// so that it cannot end up in a committed appsettings file.
    /// </summary>
    public string ApiKeyEnvironmentVariable { get; set; } = DefaultApiKeyEnvironmentVariable;

    [Range(0f, 2f, ErrorMessage = "Llm:Temperature must lie in [0, 2].")]
    public float Temperature { get; set; } = 0.2f;

    /// <summary>
    /// Ask for JSON-schema structured output (<c>response_format: json_schema</c>). Turn off for servers that lack
    /// it (many local servers); the schema then travels in the prompt and the answer is parsed leniently.
    /// </summary>
    public bool UseJsonSchemaResponseFormat { get; set; } = true;

    /// <summary>Calls to the LLM at the same time, per silo (the work queue's worker count).</summary>
    [Range(1, 1_024, ErrorMessage = "Llm:MaxConcurrency must lie in [1, 1024].")]
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Tokens (prompt + completion) the silo may spend per minute; 0 means no budget.</summary>
    [Range(0, int.MaxValue, ErrorMessage = "Llm:TokensPerMinute must be 0 (no budget) or positive.")]
    public int TokensPerMinute { get; set; } = 60_000;

    /// <summary>Jobs the work queue holds at most; beyond that the oldest low-priority jobs are shed.</summary>
    [Range(1, 10_000_000, ErrorMessage = "Llm:QueueCapacity must lie in [1, 10000000].")]
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>How many of the model's best candidates one re-rank call sends to the LLM.</summary>
    [Range(1, 1_000, ErrorMessage = "Llm:RerankCandidates must lie in [1, 1000].")]
    public int RerankCandidates { get; set; } = 50;

    /// <summary>Weight of the re-ranker in <c>final = (1-α)·norm(model) + α·rerank</c>.</summary>
    [Range(0f, 1f, ErrorMessage = "Llm:FusionAlpha must lie in [0, 1].")]
    public float FusionAlpha { get; set; } = 0.5f;

    /// <summary>Words the profile prompt asks for; answers are cut at 1.25 times this.</summary>
    [Range(10, 10_000, ErrorMessage = "Llm:ProfileMaxWords must lie in [10, 10000].")]
    public int ProfileMaxWords { get; set; } = 80;

    /// <summary>Items of a user's history a profile prompt shows at most (top and recent each).</summary>
    [Range(1, 1_000, ErrorMessage = "Llm:ProfileMaxItems must lie in [1, 1000].")]
    public int ProfileMaxItems { get; set; } = 20;

    /// <summary>Characters of an item's description a prompt shows at most; 0 leaves descriptions out.</summary>
    [Range(0, 100_000, ErrorMessage = "Llm:ItemDescriptionMaxChars must lie in [0, 100000].")]
    public int ItemDescriptionMaxChars { get; set; } = 200;

    /// <summary>Refresh a profile after this many new interactions...</summary>
    [Range(1, 1_000_000, ErrorMessage = "Llm:ProfileRefreshInteractions must lie in [1, 1000000].")]
    public int ProfileRefreshInteractions { get; set; } = 10;

    /// <summary>...or when it is this old and at least one interaction is new.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "365.00:00:00", ErrorMessage = "Llm:ProfileRefreshInterval must lie in [00:00:00.001, 365.00:00:00].")]
    public TimeSpan ProfileRefreshInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Never refresh more often than this, however many interactions arrive.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "365.00:00:00", ErrorMessage = "Llm:ProfileMinRefreshInterval must lie in [00:00:00, 365.00:00:00].")]
    public TimeSpan ProfileMinRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Re-rank a user's candidates again once this share of the top <see cref="RerankCandidates"/> has no re-rank score
    /// (items the user saw drop out, new ones come in). Below it, the stored scores still cover the feed well enough
    /// that a new call would buy little; a new profile or new preferences always trigger one.
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "Llm:RerankRefreshUnscoredShare must lie in (0, 1].")]
    public double RerankRefreshUnscoredShare { get; set; } = 0.2;

    /// <summary>A user who asked for a feed within this window is active: their LLM jobs run before background ones.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00", ErrorMessage = "Llm:ActiveUserWindow must lie in [00:00:00.001, 1.00:00:00].")]
    public TimeSpan ActiveUserWindow { get; set; } = TimeSpan.FromMinutes(5);

    [ValidateSubsection]
    public LlmResilienceOptions Resilience { get; set; } = new();

    [ValidateSubsection]
    public LlmCacheOptions Cache { get; set; } = new();

    /// <summary>True when an endpoint is configured: the LLM features are on.</summary>
    public bool IsEnabled => !string.IsNullOrWhiteSpace(Endpoint);

    /// <summary>The API key from <see cref="ApiKeyEnvironmentVariable"/>, or null when it is not set.</summary>
    public string? ResolveApiKey()
    {
        var value = string.IsNullOrWhiteSpace(ApiKeyEnvironmentVariable)
            ? null
            : Environment.GetEnvironmentVariable(ApiKeyEnvironmentVariable);
        return string.IsNullOrWhiteSpace(value) ? null : value;
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (IsEnabled
            && (!Uri.TryCreate(Endpoint, UriKind.Absolute, out var endpoint)
                || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            yield return new ValidationResult(
                $"Llm:Endpoint '{Endpoint}' is not an absolute http(s) address (e.g. http://localhost:11434/v1).", [nameof(Endpoint)]);
        }
        if (IsEnabled && string.IsNullOrWhiteSpace(Model))
        {
            yield return new ValidationResult("Llm:Model is required when Llm:Endpoint is set.", [nameof(Model)]);
        }
        if (ProfileMinRefreshInterval > ProfileRefreshInterval)
        {
            yield return new ValidationResult(
                $"Llm:ProfileMinRefreshInterval ({ProfileMinRefreshInterval}) must not exceed Llm:ProfileRefreshInterval ({ProfileRefreshInterval}).",
                [nameof(ProfileMinRefreshInterval)]);
        }
    }
}

/// <summary>Timeouts, retries and the circuit breaker on the HTTP client that talks to the LLM.</summary>
public sealed class LlmResilienceOptions
{
    // The ranges are Polly's own: it refuses values outside them when the pipeline is built, without naming the key.

    /// <summary>One call including its retries may take at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Llm:Resilience:TotalTimeout must lie in [00:00:00.010, 1.00:00:00].")]
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>One HTTP attempt may take at most this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "1.00:00:00", ErrorMessage = "Llm:Resilience:AttemptTimeout must lie in [00:00:00.010, 1.00:00:00].")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Retries after the first attempt, on 408, 429, 5xx, network errors and attempt timeouts.</summary>
    [Range(0, 10, ErrorMessage = "Llm:Resilience:MaxRetries must lie in [0, 10].")]
    public int MaxRetries { get; set; } = 2;

    /// <summary>First back-off delay (exponential with jitter); a Retry-After header takes precedence.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Llm:Resilience:RetryBaseDelay must lie in [00:00:00, 1.00:00:00].")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of failed attempts within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true, ErrorMessage = "Llm:Resilience:CircuitFailureRatio must lie in (0, 1].")]
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts.</summary>
    [Range(2, int.MaxValue, ErrorMessage = "Llm:Resilience:CircuitMinimumThroughput must be at least 2.")]
    public int CircuitMinimumThroughput { get; set; } = 8;

    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00", ErrorMessage = "Llm:Resilience:CircuitSamplingDuration must lie in [00:00:00.500, 1.00:00:00].")]
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails calls fast before one trial call may pass.</summary>
    [Range(typeof(TimeSpan), "00:00:00.500", "1.00:00:00", ErrorMessage = "Llm:Resilience:CircuitBreakDuration must lie in [00:00:00.500, 1.00:00:00].")]
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The response cache in front of the LLM (identical prompts are answered from it).</summary>
public sealed class LlmCacheOptions : IValidatableObject
{
    public bool Enabled { get; set; } = true;

    public LlmCacheKind Kind { get; set; } = LlmCacheKind.Memory;

    /// <summary>StackExchange.Redis configuration string, for <see cref="LlmCacheKind.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Prefix of the cache keys in Redis.</summary>
    public string RedisInstanceName { get; set; } = "llmrec:llm:";

    [Range(typeof(TimeSpan), "00:00:00.001", "3650.00:00:00", ErrorMessage = "Llm:Cache:TimeToLive must lie in [00:00:00.001, 3650.00:00:00].")]
    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Bytes the in-memory cache holds at most.</summary>
    [Range(1_024L, long.MaxValue, ErrorMessage = "Llm:Cache:MemorySizeLimitBytes must be at least 1024.")]
    public long MemorySizeLimitBytes { get; set; } = 64L * 1024 * 1024;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Enabled && Kind == LlmCacheKind.Redis && string.IsNullOrWhiteSpace(RedisConnectionString))
        {
            yield return new ValidationResult("Llm:Cache:RedisConnectionString is required when Llm:Cache:Kind is Redis.", [nameof(RedisConnectionString)]);
        }
    }
}
