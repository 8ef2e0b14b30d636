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
/// are off: re-ranking falls back to TF-IDF and profiles to the user's own preference text.
/// </summary>
public sealed class LlmOptions
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

    public float Temperature { get; set; } = 0.2f;

    /// <summary>
    /// Ask for JSON-schema structured output (<c>response_format: json_schema</c>). Turn off for servers that lack
    /// it (many local servers); the schema then travels in the prompt and the answer is parsed leniently.
    /// </summary>
    public bool UseJsonSchemaResponseFormat { get; set; } = true;

    /// <summary>Calls to the LLM at the same time, per silo (the work queue's worker count).</summary>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Tokens (prompt + completion) the silo may spend per minute; 0 means no budget.</summary>
    public int TokensPerMinute { get; set; } = 60_000;

    /// <summary>Jobs the work queue holds at most; beyond that the oldest low-priority jobs are shed.</summary>
    public int QueueCapacity { get; set; } = 1_000;

    /// <summary>How many of the model's best candidates one re-rank call sends to the LLM.</summary>
    public int RerankCandidates { get; set; } = 50;

    /// <summary>Weight of the re-ranker in <c>final = (1-α)·norm(model) + α·rerank</c>.</summary>
    public float FusionAlpha { get; set; } = 0.5f;

    /// <summary>Words the profile prompt asks for; answers are cut at 1.25 times this.</summary>
    public int ProfileMaxWords { get; set; } = 80;

    /// <summary>Items of a user's history a profile prompt shows at most (top and recent each).</summary>
    public int ProfileMaxItems { get; set; } = 20;

    /// <summary>Characters of an item's description a prompt shows at most; 0 leaves descriptions out.</summary>
    public int ItemDescriptionMaxChars { get; set; } = 200;

    /// <summary>Refresh a profile after this many new interactions...</summary>
    public int ProfileRefreshInteractions { get; set; } = 10;

    /// <summary>...or when it is this old and at least one interaction is new.</summary>
    public TimeSpan ProfileRefreshInterval { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Never refresh more often than this, however many interactions arrive.</summary>
    public TimeSpan ProfileMinRefreshInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Re-rank a user's candidates again once this share of the top <see cref="RerankCandidates"/> has no re-rank score
    /// (items the user saw drop out, new ones come in). Below it, the stored scores still cover the feed well enough
    /// that a new call would buy little; a new profile or new preferences always trigger one.
    /// </summary>
    public double RerankRefreshUnscoredShare { get; set; } = 0.2;

    /// <summary>A user who asked for a feed within this window is active: their LLM jobs run before background ones.</summary>
    public TimeSpan ActiveUserWindow { get; set; } = TimeSpan.FromMinutes(5);

    public LlmResilienceOptions Resilience { get; set; } = new();

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
}

/// <summary>Timeouts, retries and the circuit breaker on the HTTP client that talks to the LLM.</summary>
public sealed class LlmResilienceOptions
{
    /// <summary>One call including its retries may take at most this long.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>One HTTP attempt may take at most this long.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(25);

    /// <summary>Retries after the first attempt, on 408, 429, 5xx, network errors and attempt timeouts.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>First back-off delay (exponential with jitter); a Retry-After header takes precedence.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of failed attempts within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Attempts within the sampling window before the ratio counts.</summary>
    public int CircuitMinimumThroughput { get; set; } = 8;

    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an open circuit fails calls fast before one trial call may pass.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The response cache in front of the LLM (identical prompts are answered from it).</summary>
public sealed class LlmCacheOptions
{
    public bool Enabled { get; set; } = true;

    public LlmCacheKind Kind { get; set; } = LlmCacheKind.Memory;

    /// <summary>StackExchange.Redis configuration string, for <see cref="LlmCacheKind.Redis"/>.</summary>
    public string? RedisConnectionString { get; set; }

    /// <summary>Prefix of the cache keys in Redis.</summary>
    public string RedisInstanceName { get; set; } = "llmrec:llm:";

    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Bytes the in-memory cache holds at most.</summary>
    public long MemorySizeLimitBytes { get; set; } = 64L * 1024 * 1024;
}
