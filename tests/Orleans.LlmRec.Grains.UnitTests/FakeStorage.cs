using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Grains.Users;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// Grain storage with optimistic concurrency, like Redis: a write whose etag is stale fails. Writes copy the state
/// (through Orleans' serializer) when they start, can be held at a gate, and can be made to fail.
/// </summary>
internal sealed class FakeStorage<T> : IPersistentState<T> where T : class, new()
{
    public static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(UserState).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    private int _storedEtag;

    public T Stored { get; private set; } = new();
    public T State { get; set; } = new();
    public string? Etag { get; private set; }
    public bool RecordExists => _storedEtag > 0;
    public int WriteAttempts { get; private set; }
    public bool ConflictEveryWrite { get; init; }

    /// <summary>When set, the next write waits for it, then takes it away.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>When set, the next write fails with it (after its gate), then takes it away.</summary>
    public Exception? FailNext { get; set; }

    public void WriteBehindOurBack(Action<T> change)
    {
        var copy = Copy(Stored);
        change(copy);
        Stored = copy;
        _storedEtag++;
    }

    public Task ReadStateAsync()
    {
        State = Copy(Stored);
        Etag = _storedEtag.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Task.CompletedTask;
    }

    public async Task WriteStateAsync()
    {
        WriteAttempts++;
        var copy = Copy(State);
        if (Gate is { } gate)
        {
            Gate = null;
            await gate.Task;
        }
        if (FailNext is { } failure)
        {
            FailNext = null;
            throw failure;
        }
        if (ConflictEveryWrite) _storedEtag++;
        var current = _storedEtag.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (Etag != current && !(Etag is null && _storedEtag == 0))
        {
            throw new InconsistentStateException("etag mismatch", Etag ?? "", current);
        }
        Stored = copy;
        _storedEtag++;
        Etag = _storedEtag.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public Task ClearStateAsync() => throw new NotSupportedException();

    public static T Copy(T state) => Serializer.Deserialize<T>(Serializer.SerializeToArray(state))!;
}
