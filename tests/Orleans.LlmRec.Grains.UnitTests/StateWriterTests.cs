using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Serialization;
using Orleans.Storage;

namespace Orleans.LlmRec.Grains.UnitTests;

public class StateWriterTests
{
    [Fact]
    public async Task A_write_conflict_re_reads_and_re_applies_so_both_writers_changes_survive()
    {
        var storage = new EtagStorage();
        await storage.ReadStateAsync();
        storage.WriteBehindOurBack(s => s.SetPreferences("theirs"));

        await StateWriter.UpdateAsync(storage, s => s.History.TryRecord(TestWorld.Event("e1", "3")), s => s.History.TryRecord(TestWorld.Event("e1", "3")),
            maxAttempts: 3, NullLogger.Instance, "u");

        Assert.Equal(2, storage.WriteAttempts);
        Assert.Equal("theirs", storage.Stored.Preferences);
        Assert.Equal("3", Assert.Single(storage.Stored.History.Interactions).ItemId);
        Assert.Equal(storage.Stored.Preferences, storage.State.Preferences);
    }

    [Fact]
    public async Task Nothing_is_written_when_the_re_read_state_already_has_the_change()
    {
        var storage = new EtagStorage();
        await storage.ReadStateAsync();
        // Another activation applied the same event first: after re-reading, ours is a duplicate.
        storage.WriteBehindOurBack(s => s.History.TryRecord(TestWorld.Event("e1", "3")));

        await StateWriter.UpdateAsync(storage, s => s.History.TryRecord(TestWorld.Event("e1", "3")), s => s.History.TryRecord(TestWorld.Event("e1", "3")),
            maxAttempts: 3, NullLogger.Instance, "u");

        Assert.Equal(1, storage.WriteAttempts);
        Assert.Single(storage.Stored.History.Interactions);
    }

    [Fact]
    public async Task Conflicts_beyond_the_attempt_limit_surface_to_the_caller()
    {
        var storage = new EtagStorage { ConflictEveryWrite = true };
        await storage.ReadStateAsync();
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            StateWriter.UpdateAsync(storage, s => s.History.TryRecord(TestWorld.Event("e1", "3")), s => true, maxAttempts: 3, NullLogger.Instance, "u"));
        Assert.Equal(3, storage.WriteAttempts);
        Assert.Empty(storage.Stored.History.Interactions);
    }

    [Fact]
    public async Task A_change_that_changes_nothing_is_not_written()
    {
        var storage = new EtagStorage();
        await StateWriter.UpdateAsync(storage, _ => false, _ => true, maxAttempts: 3, NullLogger.Instance, "u");
        Assert.Equal(0, storage.WriteAttempts);
    }

    /// <summary>Storage with optimistic concurrency: a write whose etag is stale fails, like Redis or any real store.</summary>
    private sealed class EtagStorage : IPersistentState<UserState>
    {
        private static readonly Serializer Serializer = new ServiceCollection()
            .AddSerializer(b => b.AddAssembly(typeof(UserState).Assembly))
            .BuildServiceProvider()
            .GetRequiredService<Serializer>();

        private int _storedEtag;

        public UserState Stored { get; private set; } = new();
        public UserState State { get; set; } = new();
        public string? Etag { get; private set; }
        public bool RecordExists => _storedEtag > 0;
        public int WriteAttempts { get; private set; }
        public bool ConflictEveryWrite { get; init; }

        public void WriteBehindOurBack(Action<UserState> change)
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

        public Task WriteStateAsync()
        {
            WriteAttempts++;
            if (ConflictEveryWrite) _storedEtag++;
            var current = _storedEtag.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (Etag != current && !(Etag is null && _storedEtag == 0))
            {
                throw new InconsistentStateException("etag mismatch", Etag ?? "", current);
            }
            Stored = Copy(State);
            _storedEtag++;
            Etag = _storedEtag.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Task.CompletedTask;
        }

        public Task ClearStateAsync() => throw new NotSupportedException();

        private static UserState Copy(UserState state) => Serializer.Deserialize<UserState>(Serializer.SerializeToArray(state))!;
    }
}
