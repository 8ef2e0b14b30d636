using Microsoft.Extensions.Options;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Ingestion;

namespace Orleans.LlmRec.Silo.Catalogue;

/// <summary>
/// Keeps this silo's catalogue in step with the cluster's: replays the catalogue log before the silo serves (so a
/// restarted silo has every item published before), then polls it every <c>Catalogue:LogPollInterval</c> for other
/// silos' changes while they come, less and less often (up to <c>Catalogue:IdlePollInterval</c>) once none came for
/// <c>Catalogue:IdlePollAfter</c> (<see cref="PollBackoff"/>). A silo's own writes and events on items it does not know
/// yet catch up at once, not on this timer.
/// </summary>
public sealed partial class CatalogueLogTailer(
    LiveCatalogue live, IOptions<CatalogueOptions> options, TimeProvider time, ILogger<CatalogueLogTailer> logger) : BackgroundService
{
    private readonly TimeSpan _interval = options.Value.LogPollInterval;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var applied = await live.CatchUpAsync(cancellationToken).WaitAsync(options.Value.LogReplayTimeout, cancellationToken);
            LogReplayed(logger, applied, live.Version ?? "(empty)");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Redis down at start: serve the trained catalogue; the poll below catches up once Redis answers.
            LogReplayFailed(logger, e);
        }
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var polls = Polls(options.Value, time);
        var pause = _interval;
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(failures == 0 ? pause : TimeSpan.FromSeconds(Math.Min(5, failures)), time, stoppingToken);
                if (await live.CatchUpAsync(stoppingToken) > 0)
                {
                    polls.Found();
                    pause = _interval;
                }
                else
                {
                    pause = polls.Empty();
                }
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                if (failures++ == 0) LogPollFailed(logger, e);
            }
        }
    }

    /// <summary>The tailer's pauses: <c>LogPollInterval</c> while changes come, up to <c>IdlePollInterval</c> once idle.</summary>
    public static PollBackoff Polls(CatalogueOptions options, TimeProvider time) => PollBackoff.WithIdleCeiling(
        options.LogPollInterval, options.LogPollInterval, options.IdlePollAfter, options.IdlePollInterval, time);

    [LoggerMessage(Level = LogLevel.Information, Message = "Catalogue log replayed: {Applied} change(s), version {Version}")]
    private static partial void LogReplayed(ILogger logger, int applied, string version);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalogue log could not be replayed at start; serving the trained catalogue until it can")]
    private static partial void LogReplayFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Catalogue log poll failed; retrying")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
