using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Orleans.LlmRec.Silo.Hosting;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// The real service host, started in-process exactly as Program.cs composes it, listening on a free loopback port;
/// tests talk to it with an <see cref="HttpClient"/> over real HTTP.
/// </summary>
public sealed class SiloServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SiloServer(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Client { get; }

    /// <summary>The host's services, for tests that watch a silo-level singleton (the LLM work queue, its status).</summary>
    public IServiceProvider Services => _app.Services;

    /// <param name="settings">Configuration, passed as command-line arguments (<c>--Section:Key=value</c>) like an operator would.</param>
    /// <param name="configure">Test-only additions to the builder before the service registers itself (e.g. a log capture).</param>
    public static async Task<SiloServer> StartAsync(int httpPort, IReadOnlyDictionary<string, string> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var address = new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}");
        var args = settings.Select(s => $"--{s.Key}={s.Value}").Prepend($"--urls={address}").ToArray();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            EnvironmentName = "Production",
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);
        builder.AddLlmRecServices();
        var app = builder.Build();
        app.MapLlmRecApis();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
        return new SiloServer(app, address);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
