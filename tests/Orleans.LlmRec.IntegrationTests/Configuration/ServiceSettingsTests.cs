using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Ingestion;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Scoring;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Hosting;
using Orleans.LlmRec.Silo.Ingestion;

namespace Orleans.LlmRec.IntegrationTests.Configuration;

/// <summary>
/// <see cref="ServiceSettings"/> without a host: every section bound once and checked, every refusal naming its key.
/// </summary>
public class ServiceSettingsTests
{
    private static readonly (string Section, Type Type)[] Sections =
    [
        (OrleansHostOptions.SectionName, typeof(OrleansHostOptions)),
        (CatalogueOptions.SectionName, typeof(CatalogueOptions)),
        (ModelOptions.SectionName, typeof(ModelOptions)),
        (ScorerOptions.SectionName, typeof(ScorerOptions)),
        (FeedOptions.SectionName, typeof(FeedOptions)),
        (IngestionOptions.SectionName, typeof(IngestionOptions)),
        (LlmOptions.SectionName, typeof(LlmOptions)),
        (EventStreamOptions.SectionName, typeof(EventStreamOptions)),
    ];

    private static ServiceSettings Bind(Dictionary<string, string?> settings) =>
        ServiceSettings.Bind(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());

    private static string Refusal(Dictionary<string, string?> settings) =>
        Assert.Throws<OptionsValidationException>(() => Bind(settings)).Message;

    [Fact]
    public void No_configuration_binds_the_documented_defaults()
    {
        var settings = Bind(new());

        Assert.Equal(HostRole.Silo, settings.Silo.Role);
        Assert.Equal(TimeSpan.FromMinutes(15), settings.Silo.IdleDeactivation);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.Feed.ScoringBudget);
        Assert.Equal(TimeSpan.FromMinutes(5), settings.Ingestion.MaxFutureSkew);
        Assert.Equal(TimeSpan.Zero, settings.Model.WatchInterval);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.EventStream.ClaimMinIdle);
        Assert.Equal(TimeSpan.FromHours(1), settings.EventStream.IdleConsumerExpiry);
    }

    [Fact]
    public void The_shipped_appsettings_file_binds_and_passes()
    {
        var configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();

        var settings = ServiceSettings.Bind(configuration);

        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.Feed.ScoringBudget);
    }

    [Fact]
    public void Durations_are_time_spans_in_every_section()
    {
        var settings = Bind(new()
        {
            ["Silo:IdleDeactivation"] = "00:02:00",
            ["Feed:ScoringBudget"] = "00:00:00.250",
            ["Ingestion:MaxFutureSkew"] = "00:00:30",
            ["Model:WatchInterval"] = "00:00:10",
            ["Scoring:MaxBatchWait"] = "00:00:00.002",
            ["EventStream:MinPollDelay"] = "00:00:00.005",
            ["EventStream:MaxPollDelay"] = "00:00:00.100",
            ["EventStream:MaxRetryDelay"] = "00:00:02",
            ["EventStream:ClaimMinIdle"] = "00:00:10",
            ["EventStream:ClaimInterval"] = "00:00:01",
            ["EventStream:IdleConsumerExpiry"] = "00:30:00",
            ["Llm:ActiveUserWindow"] = "00:10:00",
        });

        Assert.Equal(TimeSpan.FromMinutes(2), settings.Silo.IdleDeactivation);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.Feed.ScoringBudget);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Ingestion.MaxFutureSkew);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Model.WatchInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(2), settings.Scoring.MaxBatchWait);
        Assert.Equal(TimeSpan.FromMilliseconds(5), settings.EventStream.MinPollDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.EventStream.MaxPollDelay);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.EventStream.MaxRetryDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.EventStream.ClaimMinIdle);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.EventStream.ClaimInterval);
        Assert.Equal(TimeSpan.FromMinutes(30), settings.EventStream.IdleConsumerExpiry);
        Assert.Equal(TimeSpan.FromMinutes(10), settings.Llm.ActiveUserWindow);
    }

    [Theory]
    [InlineData("Feed:ScoringBudgetMs", "50")]
    [InlineData("Silo:IdleDeactivationMinutes", "15")]
    [InlineData("Ingestion:MaxFutureSkewSeconds", "300")]
    [InlineData("Model:WatchIntervalSeconds", "5")]
    [InlineData("EventStream:ClaimMinIdleMs", "1000")]
    [InlineData("Llm:Resilience:Retries", "2")]
    public void A_key_this_version_does_not_know_is_refused_by_name(string key, string value)
    {
        Assert.Contains($"{key} is not a setting", Refusal(new() { [key] = value }), StringComparison.Ordinal);
    }

    [Fact]
    public void Orleans_membership_settings_under_the_silo_section_are_left_to_Orleans()
    {
        var settings = Bind(new() { ["Silo:Membership:ProbeTimeout"] = "00:00:01", ["Silo:Membership:NumMissedProbesLimit"] = "2" });
        Assert.Equal(HostRole.Silo, settings.Silo.Role);
    }

    [Fact]
    public void A_value_that_does_not_convert_is_refused_by_name()
    {
        Assert.Contains("Feed:ScoringBudget", Refusal(new() { ["Feed:ScoringBudget"] = "fifty" }), StringComparison.Ordinal);
    }

    [Fact]
    public void The_api_tier_role_is_spelt_ApiTier()
    {
        Assert.Equal(HostRole.ApiTier, Bind(new() { ["Silo:Role"] = "ApiTier" }).Silo.Role);
        Assert.Contains("Silo:Role", Refusal(new() { ["Silo:Role"] = "Client" }), StringComparison.Ordinal);
    }

    /// <summary>Every ranged key of every section, set just outside its range, is refused with a message naming it.</summary>
    [Fact]
    public void Every_ranged_key_just_outside_its_range_is_refused_by_name()
    {
        var checkedKeys = 0;
        foreach (var (section, type) in Sections)
        {
            foreach (var (key, value) in OutOfRangeValues(section, type))
            {
                var message = Refusal(new() { [key] = value });
                Assert.True(message.Contains(key, StringComparison.Ordinal), $"{key}={value} was refused without naming the key: {message}");
                checkedKeys++;
            }
        }
        Assert.True(checkedKeys > 60, $"only {checkedKeys} ranged keys found");
    }

    [Theory]
    [InlineData("Feed:ScoringBudget", "00:00:00.001")]
    [InlineData("Feed:ScoringBudget", "00:01:00")]
    [InlineData("Silo:IdleDeactivation", "00:01:00")]
    [InlineData("Silo:IdleDeactivation", "1.00:00:00")]
    [InlineData("Ingestion:MaxFutureSkew", "00:00:00")]
    [InlineData("Model:WatchInterval", "00:00:01")]
    [InlineData("Scoring:MaxBatchWait", "00:01:00")]
    [InlineData("EventStream:MinPollDelay", "00:00:00.001")]
    [InlineData("Llm:Resilience:AttemptTimeout", "00:00:00.010")]
    [InlineData("Llm:Resilience:CircuitBreakDuration", "00:00:00.500")]
    [InlineData("Llm:RerankRefreshUnscoredShare", "1")]
    public void Range_bounds_pass(string key, string value)
    {
        Bind(new() { [key] = value });
    }

    [Theory]
    [InlineData("Model:WatchInterval", "00:00:00.500", "Model:WatchInterval")]
    [InlineData("Scoring:QueueCapacity", "8", "Scoring:QueueCapacity")]
    [InlineData("EventStream:MaxPollDelay", "00:00:00.001", "EventStream:MaxPollDelay")]
    [InlineData("Llm:ProfileMinRefreshInterval", "01:00:00", "Llm:ProfileMinRefreshInterval")]
    public void Rules_across_keys_are_refused_by_name(string key, string value, string named)
    {
        var settings = new Dictionary<string, string?> { [key] = value };
        if (key == "EventStream:MaxPollDelay") settings["EventStream:MinPollDelay"] = "00:00:00.010";
        Assert.Contains(named, Refusal(settings), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_of_every_section_is_reported_at_once()
    {
        var message = Refusal(new()
        {
            ["Feed:ScoringBudget"] = "00:00:00",
            ["Silo:IdleDeactivation"] = "00:00:30",
            ["Llm:FusionAlpha"] = "2",
            ["EventStream:Enabled"] = "true",
        });

        foreach (var key in (string[])["Feed:ScoringBudget", "Silo:IdleDeactivation", "Llm:FusionAlpha", "EventStream:RedisConnectionString"])
        {
            Assert.Contains(key, message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void An_api_tier_needs_no_stream_connection()
    {
        var settings = Bind(new() { ["Silo:Role"] = "ApiTier", ["EventStream:Enabled"] = "true" });
        Assert.Equal(HostRole.ApiTier, settings.Silo.Role);
    }

    [Theory]
    [InlineData("00:01:00")]
    [InlineData("00:01:59")]
    [InlineData("00:15:00")]
    [InlineData("1.00:00:00")]
    public void The_collection_quantum_stays_below_every_idle_deactivation_in_range(string idle)
    {
        var age = TimeSpan.Parse(idle, CultureInfo.InvariantCulture);

        var quantum = OrleansRegistration.CollectionQuantumFor(age);

        // What Orleans' GrainCollectionOptions validator requires at start.
        Assert.True(quantum > TimeSpan.Zero);
        Assert.True(age > quantum, $"{age} must exceed {quantum}");
        Assert.True(quantum <= GrainCollectionOptions.DEFAULT_COLLECTION_QUANTUM);
    }

    [Fact]
    public void The_model_section_gives_the_trainer_its_hyper_parameters_under_the_same_names()
    {
        var settings = Bind(new()
        {
            ["Model:Seed"] = "7",
            ["Model:Factors"] = "16",
            ["Model:Epochs"] = "3",
            ["Model:LearningRate"] = "0.01",
            ["Model:Regularization"] = "0.02",
            ["Model:Layers"] = "2",
        });

        var trainer = settings.Model.ToTrainerSettings();

        Assert.Equal((7, 16, 3, 0.01, 0.02, 2), (trainer.Seed, trainer.Factors, trainer.Epochs, trainer.LearningRate, trainer.Regularization, trainer.Layers));
    }

    // For each [Range] key (nested option objects of our own included): the value just below its minimum and just above
    // its maximum, skipping bounds that are the type's own limits.
    private static IEnumerable<(string Key, string Value)> OutOfRangeValues(string prefix, Type type)
    {
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var key = $"{prefix}:{property.Name}";
            if (property.PropertyType.IsClass && property.PropertyType.Namespace?.StartsWith("Orleans.LlmRec", StringComparison.Ordinal) == true)
            {
                foreach (var nested in OutOfRangeValues(key, property.PropertyType)) yield return nested;
                continue;
            }
            if (property.GetCustomAttribute<RangeAttribute>() is not { } range) continue;
            if (range.OperandType == typeof(TimeSpan))
            {
                var min = TimeSpan.Parse((string)range.Minimum, CultureInfo.InvariantCulture);
                var max = TimeSpan.Parse((string)range.Maximum, CultureInfo.InvariantCulture);
                yield return (key, (min - TimeSpan.FromTicks(1)).ToString("c", CultureInfo.InvariantCulture));
                yield return (key, (max + TimeSpan.FromTicks(1)).ToString("c", CultureInfo.InvariantCulture));
            }
            else if (range.OperandType == typeof(int))
            {
                var (min, max) = ((int)range.Minimum, (int)range.Maximum);
                if (min > int.MinValue) yield return (key, (min - 1L).ToString(CultureInfo.InvariantCulture));
                if (max < int.MaxValue) yield return (key, (max + 1L).ToString(CultureInfo.InvariantCulture));
            }
            else if (range.OperandType == typeof(double))
            {
                var (min, max) = ((double)range.Minimum, (double)range.Maximum);
                var step = Math.Max(Math.Abs(min), Math.Abs(max)) * 1e-3;
                if (max < 1e15) // long.MaxValue and such: no value above fits the property
                {
                    yield return (key, (range.MinimumIsExclusive ? min : min - step).ToString("R", CultureInfo.InvariantCulture));
                    yield return (key, (range.MaximumIsExclusive ? max : max + step).ToString("R", CultureInfo.InvariantCulture));
                }
                else if (min > 0)
                {
                    yield return (key, (min - 1).ToString("R", CultureInfo.InvariantCulture));
                }
            }
        }
    }
}
