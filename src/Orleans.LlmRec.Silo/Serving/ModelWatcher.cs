using Microsoft.Extensions.Options;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.Silo.Serving;

/// <summary>
/// With <c>Model:WatchInterval</c> set, checks the model directory's manifest that often and reloads when it
/// names another version than the one served. A refused model is logged once per version and the current one keeps
/// serving; an unreadable manifest (a write in progress elsewhere) is simply tried again next time.
/// </summary>
public sealed partial class ModelWatcher(SiloModelLoader loader, IOptions<ModelOptions> options, ILogger<ModelWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var model = options.Value;
        if (model.WatchInterval <= TimeSpan.Zero || model.Directory is not { } directory) return;
        using var timer = new PeriodicTimer(model.WatchInterval);
        string? refusedVersion = null;
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            string version;
            try
            {
                version = ModelDirectory.ReadManifest(directory).Version;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                continue;
            }
            if (version == loader.Serving.Current.Version || version == refusedVersion) continue;
            try
            {
                var reload = await loader.ReloadAsync(stoppingToken);
                LogReloaded(logger, directory, reload.Version, reload.PreviousVersion);
            }
            catch (ModelReloadException e)
            {
                refusedVersion = version;
                LogRefused(logger, version, e.Reason);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Model watcher: {Directory} changed, now serving {Version} (was {PreviousVersion})")]
    private static partial void LogReloaded(ILogger logger, string directory, string version, string previousVersion);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Model watcher: version {Version} refused ({Reason}); the current model keeps serving")]
    private static partial void LogRefused(ILogger logger, string version, string reason);
}
