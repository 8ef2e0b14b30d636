using System.Globalization;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>One silo consuming the stream in batches of 10 with 4 batches in flight (see <see cref="ServiceFixture"/>).</summary>
[Collection(ServiceOverRedis.Name)]
public class EventStreamOrderTests(ServiceFixture service)
{
    [Fact]
    public async Task A_users_events_apply_in_stream_order_while_several_batches_are_in_flight()
    {
        var run = Guid.NewGuid().ToString("N")[..8];
        var items = service.World.PopularItems();
        const int users = 6, perUser = 40;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var timestamp = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var batch = db.CreateBatch();
        var adds = new List<Task>();
        // Interleaved, so every batch of 10 holds several users and each user spans many batches.
        for (var i = 0; i < perUser; i++)
        {
            for (var u = 0; u < users; u++)
            {
                adds.Add(batch.StreamAddAsync(ServiceFixture.StreamKey,
                [
                    new("eventId", $"{run}-{u}-{i}"), new("userId", $"ord-{run}-{u}"), new("itemId", items[(u * 50 + i) % items.Count]),
                    new("type", "click"), new("timestamp", timestamp),
                ]));
            }
        }
        batch.Execute();
        await Task.WhenAll(adds);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        for (var u = 0; u < users; u++)
        {
            var userId = $"ord-{run}-{u}";
            var user = await service.GetUserAsync(userId);
            while (user.TotalInteractions < perUser)
            {
                Assert.True(DateTime.UtcNow < deadline, $"{userId} has {user.TotalInteractions} of {perUser} events after 30 s");
                await Task.Delay(50);
                user = await service.GetUserAsync(userId);
            }
            var expected = Enumerable.Range(0, perUser).Reverse().Select(i => items[(u * 50 + i) % items.Count]);
            Assert.Equal(expected, user.RecentInteractions.Select(r => r.ItemId));
        }
    }
}
