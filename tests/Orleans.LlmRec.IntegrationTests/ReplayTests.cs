using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary><c>llmrec replay</c> over HTTP, run as a process against the service.</summary>
[Collection(ServiceOverRedis.Name)]
public class ReplayOverHttpTests(ServiceFixture service)
{
    [Fact]
    public async Task Replay_applies_each_users_events_oldest_first_and_a_second_replay_is_all_duplicates()
    {
        using var data = ReplayData.Create(service.World.PopularItems(), users: 12, perUser: 25);
        string[] args =
        [
            "replay", "--data", data.File, "--format", "csv", "--rate", "3000", "--batch", "20", "--concurrency", "3",
            "--target", service.Client.BaseAddress!.ToString(),
        ];

        var first = await CliProcess.RunAsync(TimeSpan.FromSeconds(120), args);
        Assert.True(first.ExitCode == 0, first.Output);
        Assert.Equal(data.Count, ReplayData.Figure(first.Output, "sent"));
        Assert.Equal(data.Count, ReplayData.Figure(first.Output, "accepted"));
        Assert.Equal(0, ReplayData.Figure(first.Output, "duplicates"));
        Assert.Equal(0, ReplayData.Figure(first.Output, "errors"));

        foreach (var (userId, events) in data.ByUser)
        {
            var user = await service.GetUserAsync(userId);
            Assert.Equal(events.Count, user.TotalInteractions);
            Assert.Equal(events.OrderByDescending(e => e.Timestamp).Select(e => e.ItemId), user.RecentInteractions.Select(r => r.ItemId));
            Assert.All(user.RecentInteractions, r => Assert.Equal(UserEventType.Rating, r.Type));
            Assert.Equal(events.OrderByDescending(e => e.Timestamp).Select(e => (float?)e.Rating), user.RecentInteractions.Select(r => r.Value));
        }

        var second = await CliProcess.RunAsync(TimeSpan.FromSeconds(120), args);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Equal(0, ReplayData.Figure(second.Output, "accepted"));
        Assert.Equal(data.Count, ReplayData.Figure(second.Output, "duplicates"));
    }

    [Fact]
    public async Task A_user_with_more_events_than_a_batch_is_sent_in_requests_the_service_accepts()
    {
        // Every event of one user takes the same lane; the service refuses batches over Ingestion:MaxBatchSize (413).
        using var data = ReplayData.Create(service.World.PopularItems(), users: 1, perUser: ServiceFixture.MaxBatchSize + 200);
        var result = await CliProcess.RunAsync(TimeSpan.FromSeconds(120),
            "replay", "--data", data.File, "--format", "csv", "--rate", "0", "--batch", ServiceFixture.MaxBatchSize.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--concurrency", "2", "--target", service.Client.BaseAddress!.ToString());
        Assert.True(result.ExitCode == 0, result.Output);
        Assert.Equal(data.Count, ReplayData.Figure(result.Output, "accepted"));
        Assert.Equal(data.Count, (await service.GetUserAsync(data.ByUser.Keys.Single())).TotalInteractions);
    }

    [Fact]
    public async Task A_target_that_is_neither_http_nor_redis_is_a_usage_error()
    {
        using var data = ReplayData.Create(service.World.PopularItems(), users: 1, perUser: 1);
        var result = await CliProcess.RunAsync(TimeSpan.FromSeconds(60), "replay", "--data", data.File, "--rate", "10", "--target", "ftp://example");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--target 'ftp://example' is neither", result.Output, StringComparison.Ordinal);
    }
}
