using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.Serialization;
using Xunit.Abstractions;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// Bytes of a light (10 events), typical (100) and heavy (2,000) user's state in Orleans' serializer, which is what
/// the Redis grain storage writes, for users shaped like a replayed click log (numeric item ids, replay event ids,
/// whole-second timestamps hours apart).
/// </summary>
public class UserSizeTests(ITestOutputHelper output)
{
    private static readonly Serializer Serializer = new ServiceCollection()
        .AddSerializer(b => b.AddAssembly(typeof(UserState).Assembly))
        .BuildServiceProvider()
        .GetRequiredService<Serializer>();

    /// <summary>
    /// Before this layout (one state, 8-byte event-id hashes for 1,000 ids, string item ids, 8-byte ticks): 303, 2,528
    /// and 11,405 bytes; now 164, 1,075 and 5,325 (about 10 bytes per click: flags, a 2–3 byte item id, a 2–3 byte
    /// time delta, a 4-byte fingerprint). The settings part (29 bytes here) is not written for a user who has none.
    /// </summary>
    [Theory]
    [InlineData(10, 200)]
    [InlineData(100, 1_100)]
    [InlineData(2_000, 5_500)]
    public void A_replayed_user_s_stored_bytes_stay_small(int events, int most)
    {
        var state = Replayed(events);
        var activity = Serializer.SerializeToArray(state.Activity).Length;
        var settings = Serializer.SerializeToArray(state).Length;
        output.WriteLine($"{events,5} events: {activity + settings,6:N0} bytes (activity {activity:N0}, settings {settings:N0}, event ids remembered {state.History.RememberedEventIds})");
        Assert.InRange(activity + settings, 1, most);
        // Every event written: the hot part alone carries all the user did.
        Assert.Equal(Math.Min(events, UserHistory.HistoryCapacity), state.History.Count);
    }

    internal static UserState Replayed(int events, int seed = 1)
    {
        var random = new Random(seed);
        var state = new UserState();
        var time = DateTimeOffset.FromUnixTimeSeconds(1_420_070_400 + random.Next(10_000_000));
        for (var i = 0; i < events; i++)
        {
            time = time.AddSeconds(1 + random.Next(20_000));
            state.Apply([new UserEvent
            {
                EventId = $"replay-{random.NextInt64():x12}{random.Next():x8}",
                UserId = "123456",
                ItemId = (1 + random.Next(40_000)).ToString(CultureInfo.InvariantCulture),
                Type = UserEventType.Click,
                Timestamp = time,
            }]);
        }
        return state;
    }
}
