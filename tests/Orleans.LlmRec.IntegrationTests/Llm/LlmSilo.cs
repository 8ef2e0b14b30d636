using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>
/// The real service host with the LLM layer configured, in process: localhost clustering and memory grain storage
/// (these tests are about the LLM path, not Redis), over a <see cref="GenreWorld"/>, listening on a free loopback port.
/// Exposes the host's services so tests can watch the silo's one <see cref="LlmWorkQueue"/> and its status.
/// </summary>
public sealed class LlmSilo : IAsyncDisposable
{
    private readonly SiloServer _server;

    private LlmSilo(SiloServer server, CapturedLogs logs)
    {
        _server = server;
        Logs = logs;
        Api = new ServiceClient(Client);
    }

    public HttpClient Client => _server.Client;

    public ServiceClient Api { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => _server.Services;

    public LlmWorkQueue Queue => Services.GetRequiredService<LlmWorkQueue>();

    public ILlmStatus Status => Services.GetRequiredService<ILlmStatus>();

    /// <param name="llmSettings">The <c>Llm:*</c> keys (and any override), passed as command-line arguments like an operator would.</param>
    public static async Task<LlmSilo> StartAsync(GenreWorld world, IReadOnlyDictionary<string, string> llmSettings)
    {
        var ports = FreePorts.Take(3);
        var cluster = $"llm-it-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["Silo:Clustering"] = "Localhost",
            ["Silo:Storage"] = "Memory",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Silo:ClusterId"] = cluster,
            ["Silo:ServiceId"] = cluster,
            ["Catalogue:DatasetPath"] = world.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = world.ModelPath,
            ["Model:OnnxFolder"] = world.OnnxFolder,
            // Behaviour is under test, not scoring latency: a busy CI machine must not turn feeds into fallbacks.
            ["Feed:ScoringBudget"] = "00:00:05",
            // Behaviour, not latency: a cold user on a busy CI machine may take longer than the 2 s default.
            ["Availability:RequestBudget"] = "00:00:10",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Orleans.LlmRec.Llm.Hosting"] = "Information",
            ["Llm:Cache:Enabled"] = "false",
        };
        foreach (var (key, value) in llmSettings) settings[key] = value;

        var logs = new CapturedLogs();
        var server = await SiloServer.StartAsync(ports[0], settings, builder => builder.Logging.AddProvider(logs));
        return new LlmSilo(server, logs);
    }

    public ValueTask DisposeAsync() => _server.DisposeAsync();
}

/// <summary>Log lines of the host, kept for assertions (what the start-up log says).</summary>
public sealed class CapturedLogs : ILoggerProvider
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

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
