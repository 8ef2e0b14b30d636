using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// Key rotation without a restart: reads <c>Security:ApiKeyFile</c> every <c>Security:ApiKeyFileCheckInterval</c>
/// (5 s by default) and, when its text changed, serves the file's keys plus the <c>Security:ApiKeys</c> lines from
/// then on. Polling rather than a file-system watcher, so a Kubernetes secret (a symlink swapped underneath) or a file
/// replaced by rename is seen too. A file that is missing, unreadable or has a bad line leaves the keys as they were
/// and logs why, so a half-written edit never locks everyone out.
/// </summary>
public sealed partial class ApiKeyFileWatcher(IOptions<SecurityOptions> options, ApiKeyStore store, TimeProvider time, ILogger<ApiKeyFileWatcher> logger) : BackgroundService
{
    private readonly SecurityOptions _security = options.Value;
    private string? _lastText;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_security.ApiKeyFile is not { } file) return;
        // The first look always applies the file: it may have changed since the start-up check read it.
        using var timer = new PeriodicTimer(_security.ApiKeyFileCheckInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            Check(file);
        }
    }

    /// <summary>Reloads the keys if the file's text changed since the last look.</summary>
    public void Check(string file)
    {
        if (TryRead(file) is not { } text)
        {
            LogUnreadable(logger, file, store.Count);
            return;
        }
        if (text == _lastText) return;
        _lastText = text;
        var lines = _security.ApiKeys.Select((line, i) => ($"Security:ApiKeys:{i}", line))
            .Concat(SecurityOptions.FileLines(text.Split('\n')));
        if (!SecurityOptions.TryParseKeys(lines, out var keys, out var problems))
        {
            LogRefused(logger, file, string.Join(" ", problems), store.Count);
            return;
        }
        store.Replace(keys);
        LogReloaded(logger, file, keys.Count);
    }

    private static string? TryRead(string file)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "API keys reloaded from {File}: {Keys} key(s) now valid.")]
    private static partial void LogReloaded(ILogger logger, string file, int keys);

    [LoggerMessage(Level = LogLevel.Error, Message = "API key file {File} changed but was not applied ({Problems}); the {Keys} key(s) in use stay valid.")]
    private static partial void LogRefused(ILogger logger, string file, string problems, int keys);

    [LoggerMessage(Level = LogLevel.Warning, Message = "API key file {File} cannot be read; the {Keys} key(s) in use stay valid.")]
    private static partial void LogUnreadable(ILogger logger, string file, int keys);
}
