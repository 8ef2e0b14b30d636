using Microsoft.Extensions.Logging;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's two grain states as one <see cref="UserState"/>: the hot <see cref="UserActivity"/> and the rest, each
/// written only when a change touched it, through <see cref="CoalescedWrites{T}"/> (one write per grain turn).
/// </summary>
public sealed partial class UserStateStore
{
    private readonly IPersistentState<UserState> _settings;
    private readonly IPersistentState<UserActivity> _activity;
    private readonly ILogger _logger;
    private readonly string _userId;

    /// <summary>Why a re-read failed: the stored state cannot be read, so this activation writes nothing more (it would overwrite what it could not read).</summary>
    private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _unreadable;

    public UserStateStore(IPersistentState<UserState> settings, IPersistentState<UserActivity> activity, int maxWriteAttempts, ILogger logger, string userId, Action<Exception> onFailed)
    {
        _settings = settings;
        _activity = activity;
        _logger = logger;
        _userId = userId;
        Join();
        Writes = new CoalescedWrites<UserState>(() => _settings.State, WriteAsync, RereadAsync, maxWriteAttempts, onFailed);
    }

    public UserState State => _settings.State;

    /// <summary>False for a user never written (neither part stored).</summary>
    public bool RecordExists => _activity.RecordExists || _settings.RecordExists;

    public CoalescedWrites<UserState> Writes { get; }

    private void Join()
    {
        _settings.State.Attach(_activity.State);
        _settings.State.Feed.MarkWritten(_settings.State.Feed.Saved);
    }

    private async Task WriteAsync(StateParts parts)
    {
        _unreadable?.Throw();
        var feed = _settings.State.Feed.Saved;
        // Most writes are the activity's alone: awaited as it is, without a WhenAll of one.
        switch (parts & StateParts.Both)
        {
            case StateParts.Activity: await _activity.WriteStateAsync(); break;
            case StateParts.Settings: await _settings.WriteStateAsync(); break;
            case StateParts.Both: await Task.WhenAll(_activity.WriteStateAsync(), _settings.WriteStateAsync()); break;
        }
        if ((parts & StateParts.Settings) != 0) _settings.State.Feed.MarkWritten(feed);
    }

    private async Task RereadAsync()
    {
        LogConflict(_logger, _userId);
        try
        {
            await Task.WhenAll(_activity.ReadStateAsync(), _settings.ReadStateAsync());
        }
        catch (Exception e)
        {
            // Every later write of this activation fails the same way (its callers are told, and the stream consumer
            // sets their entries aside); a new activation reads the state afresh.
            _unreadable = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            throw;
        }
        Join();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Write conflict on user {UserId}; re-reading state and re-applying the unwritten changes")]
    private static partial void LogConflict(ILogger logger, string userId);
}
