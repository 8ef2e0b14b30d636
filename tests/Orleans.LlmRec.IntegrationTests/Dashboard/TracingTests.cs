using System.Collections.Concurrent;
using System.Diagnostics;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Hosting;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// With an OTLP endpoint configured, one feed request is one trace: ASP.NET Core's request span, Orleans' grain call
/// spans (activity propagation), and the feed pipeline's score span all share its trace id.
/// </summary>
public sealed class TracingTests : IDisposable
{
    private readonly GenreWorld _world = GenreWorld.Create();
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public TracingTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => TracingRegistration.Sources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    [Fact]
    public async Task A_feed_request_is_one_trace_across_HTTP_the_grain_call_and_the_scorer()
    {
        // Nothing listens at this endpoint: spans are exported into the void, which is all this test needs.
        await using var silo = await _world.StartSiloAsync(new Dictionary<string, string> { [TracingRegistration.EndpointKey] = "http://127.0.0.1:9" });
        var userId = _world.Dataset.Users.GetExternalId(0);
        using var response = await silo.Client.GetAsync($"/v1/users/{userId}/feed");
        response.EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!_stopped.Any(a => a.OperationName == FeedTracing.ScoreSpan))
        {
            Assert.True(DateTime.UtcNow < deadline, "no score span; spans seen: " + string.Join(", ", _stopped.Select(a => $"{a.Source.Name}/{a.OperationName}").Distinct()));
            await Task.Delay(100);
        }
        var score = _stopped.First(a => a.OperationName == FeedTracing.ScoreSpan);
        while (true)
        {
            var trace = _stopped.Where(a => a.TraceId == score.TraceId).ToList();
            var request = trace.FirstOrDefault(a => a.Source.Name == "Microsoft.AspNetCore");
            var grainCall = trace.FirstOrDefault(a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal) && a.DisplayName.Contains("GetFeed", StringComparison.Ordinal));
            if (request is not null && grainCall is not null)
            {
                // The HTTP request is the root; the score span hangs below the grain call.
                Assert.Equal(default, request.ParentSpanId);
                Assert.NotEqual(default, score.ParentSpanId);
                return;
            }
            Assert.True(DateTime.UtcNow < deadline, "the score span's trace holds: " + string.Join(", ", trace.Select(a => $"{a.Source.Name}/{a.DisplayName}")));
            await Task.Delay(100);
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        _world.Dispose();
    }
}
