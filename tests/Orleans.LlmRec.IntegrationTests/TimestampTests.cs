using System.Globalization;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// A timestamp without an offset means UTC over HTTP, as it does in Redis Streams entries, on a silo whose local
/// time zone is not UTC (a silo process run with <c>TZ=Asia/Kolkata</c>, UTC+05:30).
/// </summary>
public sealed class TimestampTests : IDisposable
{
    private const string Zone = "Asia/Kolkata";
    private readonly GenreWorld _world = GenreWorld.Create();

    [Fact]
    public async Task A_timestamp_without_an_offset_is_UTC_whatever_the_silos_time_zone()
    {
        // The check needs time-zone data on this machine (.ci/run installs tzdata); without it the silo would run in UTC.
        Assert.Equal(TimeSpan.FromHours(5.5), TimeZoneInfo.FindSystemTimeZoneById(Zone).BaseUtcOffset);
        var ports = FreePorts.Take(3);
        await using var silo = await SiloProcess.StartAsync("silo-kolkata", ports[0], new Dictionary<string, string>
        {
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Catalogue:DatasetPath"] = _world.DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = _world.ModelPath,
            ["Model:OnnxFolder"] = _world.OnnxFolder,
            ["Logging:LogLevel:Default"] = "Warning",
        }, TimeSpan.FromSeconds(90), new Dictionary<string, string> { ["TZ"] = Zone });
        var client = new ServiceClient(silo.Client);
        var userId = $"tz-{Guid.NewGuid():N}";
        var items = _world.PopularItems();
        var at = DateTime.UtcNow.AddHours(-1);
        var written = new[]
        {
            at.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture),
            at.AddMinutes(1).ToString("yyyy-MM-ddTHH:mm:ss'Z'", CultureInfo.InvariantCulture),
            new DateTimeOffset(at.AddMinutes(2)).ToOffset(TimeSpan.FromHours(-3)).ToString("yyyy-MM-ddTHH:mm:sszzz", CultureInfo.InvariantCulture),
        };
        await client.PostEventsAsync(written.Select((timestamp, i) => (object)new { eventId = $"{i}", userId, itemId = items[i], type = "click", timestamp }).ToArray());

        var recent = (await client.GetUserAsync(userId)).RecentInteractions.Reverse().ToList();
        Assert.Equal(3, recent.Count);
        Assert.Equal(new[] { at, at.AddMinutes(1), at.AddMinutes(2) }.Select(Seconds), recent.Select(r => r.Timestamp.UtcDateTime));
        // No offset given: stored as UTC, not as the silo's +05:30; given offsets are kept.
        Assert.Equal([TimeSpan.Zero, TimeSpan.Zero, TimeSpan.FromHours(-3)], recent.Select(r => r.Timestamp.Offset));
    }

    private static DateTime Seconds(DateTime t) => new(t.Ticks - t.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);

    public void Dispose() => _world.Dispose();
}
