using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Dashboard;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// The silo's one incoming grain call filter (<see cref="DashboardCallFilter"/>) in a real silo: it stands in for Orleans'
/// profiler filter, passes calls straight on while no dashboard is read, and both dashboards still show what they showed.
/// </summary>
[Collection(ServiceOverRedis.Name)]
public sealed class DashboardCallFilterTests(ServiceFixture fixture)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private IServiceProvider Services => fixture.Silo.Services;

    private static async Task EventuallyAsync(Func<Task<bool>> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await done())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public void The_silo_has_one_incoming_call_filter_and_it_finds_the_switch_of_orleans_profiler()
    {
        var filter = Assert.Single(Services.GetServices<IIncomingGrainCallFilter>());
        Assert.IsType<DashboardCallFilter>(filter);
        var profiling = Services.GetRequiredService<OrleansProfiling>();
        Assert.True(profiling.SkipsCallsWhenOff, $"{OrleansProfiling.ProfilerTypeName}.IsEnabled was not found: every call pays Orleans' profiler filter");
        Assert.Equal(OrleansProfiling.FilterTypeName, profiling.Filter.GetType().FullName);
    }

    [Fact]
    public async Task Orleans_dashboard_times_user_grain_methods_once_it_is_read()
    {
        var profiling = Services.GetRequiredService<OrleansProfiling>();
        var userId = $"prof-{Guid.NewGuid():N}";
        var items = fixture.World.PopularItems();
        // Reading Orleans' dashboard switches its profiler on, on every silo.
        await EventuallyAsync(async () =>
        {
            using var counters = await fixture.Client.GetAsync("/dashboard/orleans/DashboardCounters");
            Assert.True(counters.IsSuccessStatusCode, $"{counters.StatusCode}");
            return profiling.IsOn();
        }, "Orleans' profiler was switched on");

        var round = 0;
        await EventuallyAsync(async () =>
        {
            await fixture.PostEventsAsync(ServiceFixture.Event($"{userId}-{round++}", userId, items[round % items.Count]));
            using var top = await fixture.Client.GetAsync("/dashboard/orleans/TopGrainMethods");
            Assert.True(top.IsSuccessStatusCode, $"{top.StatusCode}");
            using var json = JsonDocument.Parse(await top.Content.ReadAsStringAsync());
            return json.RootElement.GetProperty("calls").EnumerateArray().Any(c =>
                c.GetProperty("grain").GetString()!.Contains("UserGrain", StringComparison.Ordinal) && c.GetProperty("count").GetInt64() > 0);
        }, "a user grain method among Orleans' dashboard's most called");
    }

    [Fact]
    public async Task The_busiest_users_are_counted_while_the_operators_dashboard_watches()
    {
        var watch = Services.GetRequiredService<DashboardWatch>();
        var sampler = Services.GetRequiredService<HostSampler>();
        var userId = $"busy-{Guid.NewGuid():N}";
        var items = fixture.World.PopularItems();
        var start = DateTimeOffset.UtcNow;
        var round = 0;
        await EventuallyAsync(async () =>
        {
            watch.MarkWatched();
            for (var i = 0; i < 5; i++) await fixture.PostEventsAsync(ServiceFixture.Event($"{userId}-{round++}", userId, items[round % items.Count]));
            return sampler.SamplesAfter(start).Any(s => s.Busiest.Any(b => b.UserId == userId && b.Calls > 0));
        }, "the user among a sample's busiest");
    }
}

/// <summary><see cref="BusiestUsers"/> alone: counts by grain id, names users only in the top it returns, starts over per take.</summary>
public sealed class BusiestUsersTests
{
    [Fact]
    public void The_top_users_come_by_calls_with_their_ids_and_a_take_starts_over()
    {
        var busiest = new BusiestUsers();
        for (var user = 0; user < 8; user++)
        {
            for (var call = 0; call <= user; call++) busiest.Count(GrainId.Create("user", $"u{user}"));
        }

        Assert.Equal([new UserCalls("u7", 8), new UserCalls("u6", 7), new UserCalls("u5", 6)], busiest.TakeTop(3));
        Assert.Empty(busiest.TakeTop(3));
    }
}

/// <summary><see cref="DashboardWatch"/> on a fake clock.</summary>
public sealed class DashboardWatchTests
{
    [Fact]
    public void A_host_no_dashboard_asked_is_not_watched_and_one_asked_is_until_the_linger_passes()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        time.Advance(TimeSpan.FromDays(3));
        var watch = new DashboardWatch(time);
        Assert.False(watch.IsWatched);

        watch.MarkWatched();
        Assert.True(watch.IsWatched);
        time.Advance(DashboardWatch.Linger - TimeSpan.FromSeconds(1));
        Assert.True(watch.IsWatched);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.False(watch.IsWatched);
    }
}
