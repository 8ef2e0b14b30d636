using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// A user's <see cref="UserActivity"/> as grain state kept append-style in an <see cref="IActivityLogStore"/>
/// (<see cref="ActivityLogCodec"/>): a write appends only what changed since the last one that succeeded (the
/// interactions added, the scalars set), and stores a new snapshot only when the appended chunks would outgrow a
/// quarter of it (<see cref="MinTailBytes"/>), or when the change is not an
/// append. Behaves as Orleans' <see cref="IPersistentState{TState}"/> does for <see cref="UserStateStore"/>: every
/// write is conditional on the value last read or written (<see cref="Etag"/>), and a write that finds another value
/// throws <see cref="InconsistentStateException"/> (the caller re-reads and re-applies). What a write stores is
/// taken before it awaits, so changes made while it is in flight are left for the next write. A user with no stored
/// value may still have one of the earlier layout (<paramref name="readEarlierLayout"/>): it is read in its place, and
/// the first write stores it in this form (a snapshot, conditional on the value still being absent).
/// </summary>
public sealed class ActivityLogState(IActivityLogStore store, Serializer serializer, string userId,
    Func<Task<UserActivity?>>? readEarlierLayout = null) : IPersistentState<UserActivity>
{
    /// <summary>
    /// Chunks may grow to a quarter of the snapshot's size (<see cref="TailShare"/>), but to at least this many bytes
    /// (light users' snapshots are tiny). A quarter: a stored value stays within 1.25× its snapshot (Redis memory), and a
    /// snapshot is rewritten after about a quarter of its size in appends (each event then writes its chunk plus about
    /// four times the chunk again, amortised: ~140 B of AOF per event for a heavy user, bench/state-writes.sh).
    /// </summary>
    public const int MinTailBytes = 128;

    /// <summary>The snapshot is divided by this for the chunks' bound.</summary>
    public const int TailShare = 4;

    private ActivityLogVersion _version = ActivityLogVersion.Absent;
    private int _snapshotEnd;
    private Written _written;

    public UserActivity State { get; set; } = new();

    public string? Etag => _version.Length == 0 ? null : _version.ToString();

    public bool RecordExists => _version.Length > 0 || FromEarlierLayout;

    /// <summary>True while the activity read was the earlier layout's and has not been written in this form yet.</summary>
    public bool FromEarlierLayout { get; private set; }

    /// <summary>Bytes stored now (header, snapshot and chunks), and how many of them are chunks.</summary>
    public long StoredBytes => _version.Length;

    public long TailBytes => _version.Length - _snapshotEnd;

    /// <summary>Snapshots written by this object (a test or a benchmark compares them with the appends).</summary>
    public int SnapshotsWritten { get; private set; }

    public async Task ReadStateAsync()
    {
        var value = await store.ReadAsync(userId);
        FromEarlierLayout = false;
        if (value is null)
        {
            var earlier = readEarlierLayout is null ? null : await readEarlierLayout();
            State = earlier ?? new UserActivity();
            FromEarlierLayout = earlier is not null;
            _version = ActivityLogVersion.Absent;
            _snapshotEnd = 0;
        }
        else
        {
            (State, _version, _snapshotEnd) = ActivityLogCodec.Read(value, Deserialize);
        }
        _written = Written.Of(State);
    }

    public async Task WriteStateAsync()
    {
        var activity = State;
        var now = Written.Of(activity);
        if (AppendableSinceWritten(activity, now) is { } added)
        {
            if (added == 0 && now.Scalars == _written.Scalars) return;
            var chunk = ActivityLogCodec.Chunk(activity, added, _written.Scalars);
            if (TailBytes + chunk.Length <= Math.Max(MinTailBytes, _snapshotEnd / TailShare))
            {
                if (!await store.TryAppendAsync(userId, _version, chunk)) throw Conflict();
                _version = _version with { Length = _version.Length + chunk.Length };
                _written = now;
                return;
            }
        }
        var epoch = NextEpoch();
        var value = ActivityLogCodec.Snapshot(epoch, activity);
        if (!await store.TryReplaceAsync(userId, _version, value)) throw Conflict();
        _version = new ActivityLogVersion(value.Length, epoch);
        _snapshotEnd = value.Length;
        _written = now;
        FromEarlierLayout = false;
        SnapshotsWritten++;
    }

    public async Task ClearStateAsync()
    {
        if (!await store.TryReplaceAsync(userId, _version, ReadOnlyMemory<byte>.Empty)) throw Conflict();
        State = new UserActivity();
        _version = ActivityLogVersion.Absent;
        _snapshotEnd = 0;
        FromEarlierLayout = false;
        _written = Written.Of(State);
    }

    /// <summary>
    /// How many interactions were added since the last write, when what changed since is only that (and scalars): the
    /// value exists in the current format, no fingerprints were forgotten, the seeding flag is as written, and the interaction before the
    /// added ones is still in the history to time the first from (or there was none). Null when a snapshot is needed.
    /// </summary>
    private int? AppendableSinceWritten(UserActivity activity, Written now)
    {
        if (_version.Length == 0 || _version.Format != ActivityLogCodec.FormatVersion || now.OlderIdsForgotten != _written.OlderIdsForgotten || now.Seeded != _written.Seeded) return null;
        var added = now.Total - _written.Total;
        var count = activity.History.Count;
        return added >= 0 && (added < count || (added == count && _written.Total == 0)) ? added : null;
    }

    private ulong NextEpoch()
    {
        ulong epoch;
        do epoch = (ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue);
        while (epoch == _version.Epoch || epoch == 0);
        return epoch;
    }

    private UserActivity Deserialize(ReadOnlyMemory<byte> snapshot) => serializer.Deserialize<UserActivity>(snapshot)
        ?? throw new FormatException($"The stored activity snapshot of user {userId} is empty.");

    private InconsistentStateException Conflict() =>
        new($"The stored activity of user {userId} is no longer the one this activation last read or wrote.", "unknown", Etag ?? "");

    /// <summary>What the last successful write (or read) stored, as far as deciding the next write goes.</summary>
    private readonly record struct Written(int Total, int OlderIdsForgotten, bool Seeded, ActivityScalars Scalars)
    {
        public static Written Of(UserActivity activity) => new(activity.History.TotalInteractions,
            activity.History.OlderIdsForgotten, activity.History.SeededFromTrainingData, ActivityScalars.Of(activity));
    }
}

/// <summary>
/// The silo's <see cref="IActivityLogStore"/> and serializer, handing each user grain its <see cref="ActivityLogState"/>.
/// Users stored before the activity log (until session 7) have their activity as the Orleans grain state
/// <see cref="EarlierStateName"/> in the grain storage <see cref="UserGrain.StorageName"/>: it is read, only when the
/// log has nothing for the user, and written back in the log's form by the user's next write (the old entry is left
/// as it is, never read again once the log holds the user).
/// </summary>
public sealed class ActivityLogs(IActivityLogStore store, Serializer serializer, IServiceProvider services)
{
    /// <summary>The grain state name the activity had before the activity log.</summary>
    public const string EarlierStateName = "activity";

    /// <remarks>
    /// The embedded default's memory holds nothing from before the process started, so nothing of an earlier layout:
    /// only a durable store costs a new user the extra read.
    /// </remarks>
    public ActivityLogState For(string userId, GrainId grainId) =>
        new(store, serializer, userId, store is InMemoryActivityLogStore ? null : () => ReadEarlierAsync(grainId));

    private async Task<UserActivity?> ReadEarlierAsync(GrainId grainId)
    {
        if (services.GetKeyedService<IGrainStorage>(UserGrain.StorageName) is not { } storage) return null;
        var state = new GrainState<UserActivity>(new UserActivity());
        await storage.ReadStateAsync(EarlierStateName, grainId, state);
        return state.RecordExists ? state.State : null;
    }
}
