using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Llm;

/// <summary>Refuses settings that would fail later and less clearly (at the first call, or in Polly's own checks).</summary>
public sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.IsEnabled
            && (!Uri.TryCreate(options.Endpoint, UriKind.Absolute, out var endpoint)
                || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps)))
        {
            errors.Add($"Llm:Endpoint '{options.Endpoint}' is not an absolute http(s) address (e.g. http://localhost:11434/v1).");
        }
        if (options.IsEnabled && string.IsNullOrWhiteSpace(options.Model))
        {
            errors.Add("Llm:Model is required when Llm:Endpoint is set.");
        }
        if (options.Temperature is < 0 or > 2)
        {
            errors.Add("Llm:Temperature must be within [0, 2].");
        }
        if (options.MaxConcurrency < 1)
        {
            errors.Add("Llm:MaxConcurrency must be at least 1.");
        }
        if (options.TokensPerMinute < 0)
        {
            errors.Add("Llm:TokensPerMinute must be 0 (no budget) or positive.");
        }
        if (options.QueueCapacity < 1)
        {
            errors.Add("Llm:QueueCapacity must be at least 1.");
        }
        if (options.RerankCandidates < 1)
        {
            errors.Add("Llm:RerankCandidates must be at least 1.");
        }
        if (options.FusionAlpha is < 0 or > 1 || float.IsNaN(options.FusionAlpha))
        {
            errors.Add("Llm:FusionAlpha must be within [0, 1].");
        }
        if (options.ProfileMaxWords < 10)
        {
            errors.Add("Llm:ProfileMaxWords must be at least 10.");
        }
        if (options.ProfileMaxItems < 1)
        {
            errors.Add("Llm:ProfileMaxItems must be at least 1.");
        }
        if (options.ItemDescriptionMaxChars < 0)
        {
            errors.Add("Llm:ItemDescriptionMaxChars must not be negative.");
        }
        if (options.ProfileRefreshInteractions < 1)
        {
            errors.Add("Llm:ProfileRefreshInteractions must be at least 1.");
        }
        if (options.ProfileRefreshInterval <= TimeSpan.Zero || options.ProfileMinRefreshInterval < TimeSpan.Zero)
        {
            errors.Add("Llm:ProfileRefreshInterval must be positive and Llm:ProfileMinRefreshInterval not negative.");
        }
        if (double.IsNaN(options.RerankRefreshUnscoredShare) || options.RerankRefreshUnscoredShare is <= 0 or > 1)
        {
            errors.Add("Llm:RerankRefreshUnscoredShare must be within (0, 1].");
        }
        if (options.ActiveUserWindow <= TimeSpan.Zero)
        {
            errors.Add("Llm:ActiveUserWindow must be positive.");
        }

        ValidateResilience(options.Resilience, errors);
        ValidateCache(options.Cache, errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    // Polly refuses values outside these ranges when the pipeline is built; saying so at start-up names the key.
    private static void ValidateResilience(LlmResilienceOptions resilience, List<string> errors)
    {
        var tenMilliseconds = TimeSpan.FromMilliseconds(10);
        var halfSecond = TimeSpan.FromMilliseconds(500);
        if (resilience.AttemptTimeout < tenMilliseconds || resilience.TotalTimeout < tenMilliseconds)
        {
            errors.Add("Llm:Resilience:AttemptTimeout and TotalTimeout must be at least 10 ms.");
        }
        if (resilience.MaxRetries is < 0 or > 10)
        {
            errors.Add("Llm:Resilience:MaxRetries must be within [0, 10].");
        }
        if (resilience.RetryBaseDelay < TimeSpan.Zero)
        {
            errors.Add("Llm:Resilience:RetryBaseDelay must not be negative.");
        }
        if (resilience.CircuitFailureRatio is <= 0 or > 1)
        {
            errors.Add("Llm:Resilience:CircuitFailureRatio must be within (0, 1].");
        }
        if (resilience.CircuitMinimumThroughput < 2)
        {
            errors.Add("Llm:Resilience:CircuitMinimumThroughput must be at least 2.");
        }
        if (resilience.CircuitSamplingDuration < halfSecond || resilience.CircuitBreakDuration < halfSecond)
        {
            errors.Add("Llm:Resilience:CircuitSamplingDuration and CircuitBreakDuration must be at least 500 ms.");
        }
    }

    private static void ValidateCache(LlmCacheOptions cache, List<string> errors)
    {
        if (cache.Enabled && cache.Kind == LlmCacheKind.Redis && string.IsNullOrWhiteSpace(cache.RedisConnectionString))
        {
            errors.Add("Llm:Cache:RedisConnectionString is required when Llm:Cache:Kind is Redis.");
        }
        if (cache.TimeToLive <= TimeSpan.Zero)
        {
            errors.Add("Llm:Cache:TimeToLive must be positive.");
        }
        if (cache.MemorySizeLimitBytes < 1024)
        {
            errors.Add("Llm:Cache:MemorySizeLimitBytes must be at least 1024.");
        }
    }
}
