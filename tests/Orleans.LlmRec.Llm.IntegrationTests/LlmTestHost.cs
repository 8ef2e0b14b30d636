using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Llm.Offline.Hosting;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.Llm.IntegrationTests;

/// <summary>
/// The LLM layer wired exactly as a silo wires it (<c>LlmServiceCollectionExtensions.AddLlmRecLlm</c>), pointed
/// at a scripted server, with captured logs and metrics. Defaults keep tests quick: short retry delays, the circuit
/// out of reach, no cache; each test overrides what it is about.
/// </summary>
internal sealed class LlmTestHost : IAsyncDisposable
{
    private LlmTestHost(ServiceProvider services, CapturingLoggerProvider logs, string apiKeyVariable)
    {
        Services = services;
        Logs = logs;
        ApiKeyVariable = apiKeyVariable;
        Metrics = new MetricCollector(services.GetRequiredService<LlmMetrics>().Meter);
    }

    public ServiceProvider Services { get; }

    public CapturingLoggerProvider Logs { get; }

    public MetricCollector Metrics { get; }

    public string ApiKeyVariable { get; }

    public T Get<T>()
        where T : notnull => Services.GetRequiredService<T>();

    public static LlmTestHost Create(ScriptedOpenAiServer? server, IDictionary<string, string?>? overrides = null, int registrations = 1) =>
        Create(server, overrides, registrations, (services, configuration) => services.AddLlmRecLlm(configuration));

    /// <summary>As <see cref="Create(ScriptedOpenAiServer?, IDictionary{string, string?}?, int)"/>, wired as <c>llmrec augment</c> wires it (with the offline augmenters).</summary>
    public static LlmTestHost CreateOffline(ScriptedOpenAiServer? server, IDictionary<string, string?>? overrides = null) =>
        Create(server, overrides, 1, (services, configuration) => services.AddLlmRecOfflineLlm(configuration));

    private static LlmTestHost Create(ScriptedOpenAiServer? server, IDictionary<string, string?>? overrides, int registrations, Action<IServiceCollection, IConfiguration> register)
    {
        var apiKeyVariable = $"LLMREC_TEST_KEY_{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string?>
        {
            ["Llm:Endpoint"] = server?.BaseAddress.ToString(),
            ["Llm:Model"] = "stub-model",
            ["Llm:ApiKeyEnvironmentVariable"] = apiKeyVariable,
            ["Llm:Temperature"] = "0.2",
            ["Llm:Resilience:MaxRetries"] = "2",
            ["Llm:Resilience:RetryBaseDelay"] = "00:00:00.010",
            ["Llm:Resilience:AttemptTimeout"] = "00:00:10",
            ["Llm:Resilience:TotalTimeout"] = "00:00:20",
            ["Llm:Resilience:CircuitMinimumThroughput"] = "1000",
            ["Llm:Cache:Enabled"] = "false",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        for (var i = 0; i < registrations; i++)
        {
            register(services, configuration);
        }
        return new LlmTestHost(services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true }), logs, apiKeyVariable);
    }

    public async Task StartAsync()
    {
        foreach (var hosted in Services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await Services.DisposeAsync();
    }
}

internal sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _entries = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}

/// <summary>Collects the measurements of one meter instance (other tests' meters are ignored).</summary>
internal sealed class MetricCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> _measurements = new();

    public MetricCollector(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => _measurements.Enqueue((instrument.Name, value, tags.ToArray())));
        _listener.Start();
    }

    public void RecordObservableInstruments() => _listener.RecordObservableInstruments();

    public double Sum(string name, params (string Key, object Value)[] tags) =>
        _measurements
            .Where(m => m.Name == name && tags.All(t => m.Tags.Any(mt => mt.Key == t.Key && Equals(Convert.ToString(mt.Value, CultureInfo.InvariantCulture), Convert.ToString(t.Value, CultureInfo.InvariantCulture)))))
            .Sum(m => m.Value);

    public int Count(string name) => _measurements.Count(m => m.Name == name);

    public void Dispose() => _listener.Dispose();
}
