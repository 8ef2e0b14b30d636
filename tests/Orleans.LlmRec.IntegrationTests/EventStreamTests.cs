using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;
using StreamEntryFields = Orleans.LlmRec.Silo.Ingestion.StreamEntryParser;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>Two silo processes consuming one Redis stream in one consumer group.</summary>
public sealed class StreamClusterFixture : IAsyncLifetime
{
    public LocalCluster Cluster { get; private set; } = null!;
    public ConnectionMultiplexer Redis { get; private set; } = null!;
    public IDatabase Db => Redis.GetDatabase();

    public async Task InitializeAsync()
    {
        Cluster = await LocalCluster.StartAsync(silos: 2, eventStream: true);
        Redis = await ConnectionMultiplexer.ConnectAsync(Cluster.Redis.ConnectionString);
    }

    public async Task DisposeAsync()
    {
        if (Redis is not null) await Redis.DisposeAsync();
        if (Cluster is not null) await Cluster.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class StreamCluster : ICollectionFixture<StreamClusterFixture>
{
    public const string Name = "two silos consuming a Redis stream";
}

[Collection(StreamCluster.Name)]
public class EventStreamTests(StreamClusterFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private LocalCluster Cluster => fixture.Cluster;
    private IDatabase Db => fixture.Db;

    private static NameValueEntry[] Click(string eventId, string userId, string itemId, string type = "click") =>
    [
        new(StreamEntryFields.EventIdField, eventId),
        new(StreamEntryFields.UserIdField, userId),
        new(StreamEntryFields.ItemIdField, itemId),
        new(StreamEntryFields.TypeField, type),
        new(StreamEntryFields.TimestampField, DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
    ];

    private ServiceClient Client(int silo) => new(Cluster.Silos[silo].Client);

    /// <summary>Polls until <paramref name="done"/> holds; the bound only keeps a broken consumer from hanging the run.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await read();
            if (done(value)) return value;
            Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Every entry added so far was delivered to a consumer and acknowledged.</summary>
    private Task DrainedAsync() => EventuallyAsync(
        async () => (await Db.StreamGroupInfoAsync(LocalCluster.StreamKey)).Single(g => g.Name == LocalCluster.StreamGroup),
        g => g.Lag == 0 && g.PendingMessageCount == 0,
        "the consumer group caught up with the stream");

    [Fact]
    public async Task A_click_added_to_the_stream_changes_the_next_feed_on_either_silo()
    {
        var userId = $"xs-{Guid.NewGuid():N}";
        var popular = Cluster.World.PopularItems();
        var before = await Client(0).GetFeedAsync(userId, "k=10");
        Assert.Equal(FeedSource.Fallback, before.Source);

        var clicked = popular[^1];
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-1", userId, clicked));

        var after = await EventuallyAsync(() => Client(1).GetFeedAsync(userId, "k=10"), f => f.Source == FeedSource.Model, "the feed became personal");
        Assert.DoesNotContain(clicked, after.Items.Select(i => i.ItemId));
        Assert.NotEqual(before.Items.Select(i => i.ItemId), after.Items.Select(i => i.ItemId));
        // Items sharing the clicked item's genres now lead.
        Assert.True(Cluster.World.Similarity(clicked, after.Items[0].ItemId) > 0, $"{after.Items[0].ItemId} shares no genre with {clicked}");
        var user = await Client(0).GetUserAsync(userId);
        Assert.Equal([clicked], user.RecentInteractions.Select(r => r.ItemId));
    }

    [Fact]
    public async Task A_click_added_after_the_consumers_went_idle_is_still_applied()
    {
        await DrainedAsync();
        // Nothing added for longer than the quiet spell and the steps up to the idle ceiling (50+100+200+400 ms):
        // both consumers now read every IdlePollDelay.
        await Task.Delay(LocalCluster.IdlePollAfter + TimeSpan.FromSeconds(2));
        var userId = $"xi-{Guid.NewGuid():N}";
        var clicked = Cluster.World.PopularItems()[5];
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-1", userId, clicked));

        var user = await EventuallyAsync(() => Client(0).GetUserAsync(userId), u => u.TotalInteractions > 0, "the click after idle was applied");
        Assert.Equal([clicked], user.RecentInteractions.Select(r => r.ItemId));
        await DrainedAsync();
    }

    [Fact]
    public async Task An_event_id_added_twice_is_applied_once()
    {
        var userId = $"xd-{Guid.NewGuid():N}";
        var items = Cluster.World.PopularItems();
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-same", userId, items[3]));
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-same", userId, items[3]));
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-other", userId, items[4]));
        await DrainedAsync();

        var user = await Client(1).GetUserAsync(userId);
        Assert.Equal(2, user.TotalInteractions);
        // Each item once. Not their order: when the two silos read the three entries in different reads, the user's
        // events apply in the order they arrive at the grain, which is the documented guarantee across silos.
        Assert.Equal(new[] { items[3], items[4] }.Order(StringComparer.Ordinal), user.RecentInteractions.Select(r => r.ItemId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_user_whose_state_cannot_be_read_holds_up_nobody_and_their_entries_are_set_aside_with_the_reason()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var poisoned = $"xp-{run}";
        var items = Cluster.World.PopularItems();
        await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{poisoned}-0", poisoned, items[1]));
        await DrainedAsync();
        // Damage the user's stored state so that no grain can apply their events (a write conflict, then a read of
        // bytes that are not a user).
        var server = fixture.Redis.GetServer(fixture.Redis.GetEndPoints()[0]);
        var key = Assert.Single(server.Keys(pattern: $"*{poisoned}*"));
        if (await Db.KeyTypeAsync(key) == RedisType.Hash)
        {
            foreach (var field in await Db.HashKeysAsync(key))
            {
                await Db.HashSetAsync(key, field, (string)field! == "etag" ? "damaged" : (RedisValue)new byte[] { 0xFF, 0x00, 0xFE, 0x01 });
            }
        }
        else
        {
            await Db.StringSetAsync(key, new byte[] { 0xFF, 0x00, 0xFE, 0x01 });
        }

        var others = Enumerable.Range(0, 30).Select(i => $"xq-{run}-{i}").ToList();
        var poisonedIds = new List<string>();
        for (var i = 0; i < others.Count; i++)
        {
            await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{others[i]}-1", others[i], items[2]));
            if (i % 10 == 0) poisonedIds.Add((await Db.StreamAddAsync(LocalCluster.StreamKey, Click($"{poisoned}-{i + 1}", poisoned, items[3 + i / 10]))).ToString());
        }

        // Everyone else's click is applied, and after a few attempts the damaged user's entries are set aside with
        // the reason, so the group drains with no operator action.
        foreach (var user in others)
        {
            await EventuallyAsync(() => Client(0).GetUserAsync(user), u => u.TotalInteractions == 1, $"{user}'s click was applied");
        }
        await DrainedAsync();
        var dead = (await Db.StreamRangeAsync(LocalCluster.DeadLetterKey))
            .Where(e => poisonedIds.Contains((string)e.Values.Single(v => v.Name == "sourceId").Value!))
            .Select(e => (string)e.Values.Single(v => v.Name == "error").Value!)
            .ToList();
        Assert.Equal(poisonedIds.Count, dead.Count);
        // At least EventStream:MaxApplyAttempts (5) attempts, spread over at least MaxRetryDelay.
        Assert.All(dead, reason => Assert.Matches(@"^not applied after ([5-9]|\d\d+) attempts: \w+", reason));
    }

    [Fact]
    public async Task Malformed_entries_are_set_aside_with_a_reason_and_do_not_block_the_entries_behind_them()
    {
        var userId = $"xm-{Guid.NewGuid():N}";
        var items = Cluster.World.PopularItems();
        var good = Click($"{userId}-good", userId, items[7]);
        NameValueEntry[][] bad =
        [
            [.. good.Where(f => f.Name != StreamEntryFields.UserIdField)],
            [.. good.Select(f => f.Name == StreamEntryFields.TimestampField ? new NameValueEntry(f.Name, "yesterday") : f)],
            [.. good.Select(f => f.Name == StreamEntryFields.ItemIdField ? new NameValueEntry(f.Name, "no-such-item") : f)],
            [.. good.Select(f => f.Name == StreamEntryFields.TypeField ? new NameValueEntry(f.Name, "rating") : f)],
            [new("unrelated", "field")],
        ];
        var badIds = new List<RedisValue>();
        foreach (var entry in bad) badIds.Add(await Db.StreamAddAsync(LocalCluster.StreamKey, entry));
        await Db.StreamAddAsync(LocalCluster.StreamKey, good);

        var user = await EventuallyAsync(() => Client(0).GetUserAsync(userId), u => u.TotalInteractions > 0, "the valid entry was applied");
        Assert.Equal([items[7]], user.RecentInteractions.Select(r => r.ItemId));
        await DrainedAsync();

        var dead = (await Db.StreamRangeAsync(LocalCluster.DeadLetterKey))
            .ToDictionary(e => (string)e.Values.Single(v => v.Name == "sourceId").Value!, e => (string)e.Values.Single(v => v.Name == "error").Value!);
        var reasons = badIds.Select(id => dead[id.ToString()]).ToList();
        Assert.Contains("userId: is required", reasons[0], StringComparison.Ordinal);
        Assert.Contains("timestamp 'yesterday'", reasons[1], StringComparison.Ordinal);
        Assert.Contains("unknown item 'no-such-item'", reasons[2], StringComparison.Ordinal);
        Assert.Contains("value: is required for a rating", reasons[3], StringComparison.Ordinal);
        Assert.Contains("eventId: is required", reasons[4], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entries_a_dead_consumer_read_but_never_acknowledged_are_claimed_and_applied_by_a_silo()
    {
        await DrainedAsync();
        var userId = $"xc-{Guid.NewGuid():N}";
        var items = Cluster.World.PopularItems();
        // A consumer that reads and then dies before acknowledging, as a killed silo would: adding and reading in one
        // transaction, so no silo can take the entry first.
        var transaction = Db.CreateTransaction();
        var added = transaction.StreamAddAsync(LocalCluster.StreamKey, Click($"{userId}-1", userId, items[12]));
        var read = transaction.StreamReadGroupAsync(LocalCluster.StreamKey, LocalCluster.StreamGroup, "killed-consumer", StreamPosition.NewMessages, 1);
        Assert.True(await transaction.ExecuteAsync());
        var entryId = await added;
        Assert.Equal([entryId], (await read).Select(e => e.Id));
        var pending = await Db.StreamPendingMessagesAsync(LocalCluster.StreamKey, LocalCluster.StreamGroup, 10, "killed-consumer");
        Assert.Equal([entryId], pending.Select(p => p.MessageId));

        var user = await EventuallyAsync(() => Client(1).GetUserAsync(userId), u => u.TotalInteractions > 0, "the abandoned entry was claimed and applied");
        Assert.Equal([items[12]], user.RecentInteractions.Select(r => r.ItemId));
        await DrainedAsync();
        Assert.Empty(await Db.StreamPendingMessagesAsync(LocalCluster.StreamKey, LocalCluster.StreamGroup, 10, "killed-consumer"));
    }

    [Fact]
    public async Task Both_silos_join_the_group_and_a_burst_for_many_users_is_applied_exactly_once()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var items = Cluster.World.PopularItems();
        const int users = 50, perUser = 20;
        var batch = Db.CreateBatch();
        var adds = new List<Task>();
        for (var i = 0; i < perUser; i++)
        {
            for (var u = 0; u < users; u++)
            {
                adds.Add(batch.StreamAddAsync(LocalCluster.StreamKey, Click($"{run}-{u}-{i}", $"xb-{run}-{u}", items[(u + i) % items.Count])));
            }
        }
        batch.Execute();
        await Task.WhenAll(adds);
        await DrainedAsync();

        for (var u = 0; u < users; u++)
        {
            var user = await Client(u % 2).GetUserAsync($"xb-{run}-{u}");
            Assert.Equal(perUser, user.TotalInteractions);
            Assert.Equal(perUser, user.RecentInteractions.Count);
        }
        var consumers = await Db.StreamConsumerInfoAsync(LocalCluster.StreamKey, LocalCluster.StreamGroup);
        Assert.True(consumers.Count(c => c.Name != "killed-consumer") >= 2, $"consumers: {string.Join(", ", consumers.Select(c => c.Name.ToString()))}");
    }

    [Fact]
    public async Task Replay_into_the_stream_is_applied_by_the_consumers_exactly_once()
    {
        using var data = ReplayData.Create(Cluster.World.PopularItems(), users: 10, perUser: 30);
        var result = await CliProcess.RunAsync(TimeSpan.FromSeconds(120),
            "replay", "--data", data.File, "--format", "csv", "--rate", "0", "--wait",
            "--target", $"redis://{Cluster.Redis.ConnectionString}", "--stream", LocalCluster.StreamKey);
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(data.Count, ReplayData.Figure(result.Output, "added to the stream"));
        Assert.Contains("consumed after", result.Output, StringComparison.Ordinal);

        await DrainedAsync();
        foreach (var (userId, events) in data.ByUser)
        {
            var user = await Client(0).GetUserAsync(userId);
            Assert.Equal(events.Count, user.TotalInteractions);
            Assert.Equal(events.Select(e => e.ItemId).Order(), user.RecentInteractions.Select(r => r.ItemId).Order());
        }
    }
}
