using System.ComponentModel.DataAnnotations;
using System.Reflection;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Scoring.Retrieval;
using Orleans.LlmRec.Silo.Ingestion;
using Orleans.LlmRec.Silo.Redis;
using Orleans.LlmRec.Silo.Security;
using Orleans.LlmRec.Text;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>
/// Every configuration section of the service, each bound once, here, and checked before the host is built: the
/// keys' DataAnnotations, each section's rules across its keys (<see cref="IValidatableObject"/>), the rules across
/// sections below, and no key this version does not know (a renamed or misspelt key would otherwise be ignored).
/// A failure throws one <see cref="OptionsValidationException"/> that names every bad key, so nothing that starts
/// the host was left unchecked. The hosting code registers each section as its <c>IOptions&lt;T&gt;</c>.
/// </summary>
public sealed class ServiceSettings
{
    private ServiceSettings(IConfiguration configuration, List<string> failures)
    {
        // Silo:Membership is bound by Orleans onto its own ClusterMembershipOptions (and checked by Orleans).
        Silo = Bind<OrleansHostOptions>(configuration, OrleansHostOptions.SectionName, failures, ClusterMembershipSection);
        Catalogue = Bind<CatalogueOptions>(configuration, CatalogueOptions.SectionName, failures);
        Model = Bind<ModelOptions>(configuration, ModelOptions.SectionName, failures);
        Scoring = Bind<ScorerOptions>(configuration, ScorerOptions.SectionName, failures);
        Feed = Bind<FeedOptions>(configuration, FeedOptions.SectionName, failures);
        ItemIndex = Bind<ItemIndexOptions>(configuration, ItemIndexOptions.SectionName, failures);
        Ingestion = Bind<IngestionOptions>(configuration, IngestionOptions.SectionName, failures);
        Llm = Bind<LlmOptions>(configuration, LlmOptions.SectionName, failures);
        EventStream = Bind<EventStreamOptions>(configuration, EventStreamOptions.SectionName, failures);
        Availability = Bind<AvailabilityOptions>(configuration, AvailabilityOptions.SectionName, failures);
        Security = Bind<SecurityOptions>(configuration, SecurityOptions.SectionName, failures);
        RateLimits = Bind<RateLimitOptions>(configuration, RateLimitOptions.SectionName, failures);
        Redis = Bind<RedisOptions>(configuration, RedisOptions.SectionName, failures);
        TextEmbeddings = Bind<TextEmbeddingOptions>(configuration, TextEmbeddingOptions.SectionName, failures);
        // Where Kestrel will listen is host configuration, not a section of ours: checked here so a host without
        // access control is refused before it binds a non-loopback address.
        failures.AddRange(BindAddresses.Check(configuration, Security));
    }

    /// <summary>The sub-section of <c>Silo</c> bound onto Orleans' <c>ClusterMembershipOptions</c> (failure detection).</summary>
    public const string ClusterMembershipSection = "Membership";

    public OrleansHostOptions Silo { get; }
    public CatalogueOptions Catalogue { get; }
    public ModelOptions Model { get; }
    public ScorerOptions Scoring { get; }
    public FeedOptions Feed { get; }
    public ItemIndexOptions ItemIndex { get; }
    public IngestionOptions Ingestion { get; }
    public LlmOptions Llm { get; }
    public EventStreamOptions EventStream { get; }
    public AvailabilityOptions Availability { get; }
    public SecurityOptions Security { get; }
    public RateLimitOptions RateLimits { get; }
    public RedisOptions Redis { get; }
    public TextEmbeddingOptions TextEmbeddings { get; }

    /// <summary>Binds and checks every section; throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static ServiceSettings Bind(IConfiguration configuration)
    {
        var failures = new List<string>();
        var settings = new ServiceSettings(configuration, failures);
        failures.AddRange(settings.CheckAcrossSections());
        // The score stage must hand the re-rank stage at least the top-N the LLM judges, or fused scores could never
        // lift an item from below the feed's depth. Both are in range by their own checks, so the larger one is too.
        settings.Feed.RerankPoolSize = Math.Max(settings.Feed.RerankPoolSize, settings.Llm.RerankCandidates);
        if (failures.Count > 0)
        {
            throw new OptionsValidationException(nameof(ServiceSettings), typeof(ServiceSettings), failures);
        }
        return settings;
    }

    private IEnumerable<string> CheckAcrossSections()
    {
        // The stream consumer runs on silos only; an API tier never reads the stream.
        if (Silo.Role == HostRole.Silo && EventStream.Enabled
            && string.IsNullOrWhiteSpace(EventStream.RedisConnectionString) && string.IsNullOrWhiteSpace(Silo.RedisConnectionString))
        {
            yield return "EventStream:RedisConnectionString (or Silo:RedisConnectionString) is required when EventStream:Enabled is true.";
        }
        // A host keeps one Redis connection (Redis/RedisConnection.cs), so the stream cannot live on another server.
        if (!string.IsNullOrWhiteSpace(EventStream.RedisConnectionString) && !string.IsNullOrWhiteSpace(Silo.RedisConnectionString)
            && !string.Equals(EventStream.RedisConnectionString, Silo.RedisConnectionString, StringComparison.Ordinal))
        {
            yield return $"EventStream:RedisConnectionString ('{EventStream.RedisConnectionString}') differs from Silo:RedisConnectionString ('{Silo.RedisConnectionString}'): a host keeps one Redis connection; leave EventStream:RedisConnectionString unset.";
        }
        if (Silo.Role == HostRole.Silo && Catalogue.ItemStreamEnabled && string.IsNullOrWhiteSpace(Silo.RedisConnectionString))
        {
            yield return "Catalogue:ItemStreamEnabled needs Silo:RedisConnectionString (the item stream and the catalogue log live in Redis).";
        }
        // A batch the event bucket can never hold would be refused 429 for ever.
        if (RateLimits.IsOn(Security) && RateLimits.EventsBurst < Ingestion.MaxBatchSize)
        {
            yield return $"RateLimits:EventsBurst ({RateLimits.EventsBurst}) must be at least Ingestion:MaxBatchSize ({Ingestion.MaxBatchSize}): a full batch takes one permit per event.";
        }
    }

    private static T Bind<T>(IConfiguration configuration, string sectionName, List<string> failures, params string[] boundElsewhere)
        where T : class, new()
    {
        var section = configuration.GetSection(sectionName);
        AddUnknownKeys(section, typeof(T), boundElsewhere, failures);
        T options;
        try
        {
            options = section.Get<T>() ?? new T();
        }
        catch (InvalidOperationException e)
        {
            // A value that does not convert (e.g. "abc" for a TimeSpan); the binder's message names the key.
            failures.Add(e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message);
            return new T();
        }
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
        {
            failures.AddRange(results.Select(r => r.ErrorMessage ?? $"{sectionName} is invalid."));
        }
        return options;
    }

    private static void AddUnknownKeys(IConfigurationSection section, Type type, string[] boundElsewhere, List<string> failures)
    {
        foreach (var child in section.GetChildren())
        {
            if (boundElsewhere.Contains(child.Key, StringComparer.OrdinalIgnoreCase)) continue;
            var property = type.GetProperty(child.Key, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase);
            if (property is null || !property.CanWrite)
            {
                failures.Add($"{child.Path} is not a setting (renamed or misspelt? src/Orleans.LlmRec.Silo/README.md lists them).");
            }
            else if (IsSubsection(property.PropertyType))
            {
                AddUnknownKeys(child, property.PropertyType, [], failures);
            }
        }
    }

    // Nested option objects of our own (Llm:Resilience, Llm:Cache); everything else is a value.
    private static bool IsSubsection(Type type) =>
        type.IsClass && type != typeof(string) && type.Namespace?.StartsWith("Orleans.LlmRec", StringComparison.Ordinal) == true;
}
