using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Feeds;
using Orleans.LlmRec.Grains.Llm;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Profiles;
using Orleans.LlmRec.Llm.Queue;
using Orleans.LlmRec.Llm.Reranking;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>A user grain's LLM session without a cluster: versions, the re-rank in flight, failures, the profile timer's delay.</summary>
public sealed class UserLlmSessionTests : IAsyncDisposable
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly Catalogue.ItemCatalogue _catalogue = TestWorld.Catalogue();
    private readonly CountingReranker _reranker = new();
    private readonly RecordingResults _results = new();
    private readonly SettableTime _time = new(T0);
    private readonly LlmWorkQueue _queue;
    private readonly UserLlmServices _services;

    public UserLlmSessionTests()
    {
        var options = new LlmOptions { Endpoint = "http://llm/v1", RerankCandidates = 5, ProfileRefreshInteractions = 10 };
        _queue = new LlmWorkQueue(new PreferencesProfileWriter(options), _reranker, options, new LlmMetrics());
        _services = new UserLlmServices(_queue, new ProfileRefreshPolicy(options), Options.Create(options), new FixedStatus(true), _time);
    }

    private UserLlmSession Session(UserState state) => new("u", _results, _services, _catalogue, NullLogger.Instance, state);

    [Fact]
    public void Versions_rise_above_what_the_state_stored_even_when_the_clock_lags()
    {
        var state = new UserState();
        var stored = T0.AddHours(1).UtcTicks;
        state.StoreProfile(new ProfileUpdate { Version = stored, Outcome = LlmJobOutcome.Succeeded, Text = "p", Source = UserProfile.LlmSource }, T0);
        var session = Session(state);
        var first = session.IssueVersion(T0);
        var second = session.IssueVersion(T0);
        Assert.True(first > stored);
        Assert.True(second > first);
        Assert.Equal(T0.AddHours(2).UtcTicks, session.IssueVersion(T0.AddHours(2)));
    }

    [Fact]
    public async Task One_re_rank_is_asked_per_context_while_it_is_in_flight_and_its_answer_comes_back_versioned()
    {
        var state = new UserState();
        var session = Session(state);
        var scored = Enumerable.Range(0, 8).Select(i => new ScoredCandidate(i, 8f - i)).ToList();

        session.RequestRerankIfNeeded(state, scored, T0);
        session.RequestRerankIfNeeded(state, scored, T0.AddSeconds(1));
        await _queue.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, _reranker.Calls);
        // The best five by model score were sent, by item id.
        Assert.Equal(Enumerable.Range(0, 5).Select(_catalogue.ItemIdOf), _reranker.LastRequest!.Candidates.Select(c => c.ItemId));
        var update = Assert.Single(_results.Reranks);
        Assert.Equal(state.RerankContextKey, update.ContextKey);

        // The answer ends the wait; once stored, the scores cover the candidates and nothing more is asked.
        Assert.True(session.RerankAnswered(state, update));
        Assert.True(state.StoreRerank(update, T0));
        session.RequestRerankIfNeeded(state, scored.Take(5).ToList(), T0.AddSeconds(2));
        await _queue.WhenIdleAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1, _reranker.Calls);
    }

    [Fact]
    public void A_failed_re_rank_labels_the_next_feeds_and_outdates_a_feed_made_without_scores()
    {
        var state = new UserState();
        state.Feed.Keep(new RankedFeed { Items = [], Source = FeedSource.Model, ModelVersion = "v1", GeneratedAt = T0 }, bound: 10);
        var session = Session(state);
        Assert.Null(session.RerankUnavailable());

        var failed = new RerankUpdate { Version = 5, Outcome = LlmJobOutcome.Failed, ContextKey = state.RerankContextKey, Error = "server_error" };
        Assert.False(session.RerankAnswered(state, failed));
        Assert.Contains("server_error", session.RerankUnavailable(), StringComparison.Ordinal);
        Assert.False(state.Feed.IsCurrent);

        var succeeded = new RerankUpdate { Version = 6, Outcome = LlmJobOutcome.Succeeded, ContextKey = state.RerankContextKey, Scores = [new ItemScore { ItemId = "1", Score = 1f }] };
        Assert.True(session.RerankAnswered(state, succeeded));
        Assert.Null(session.RerankUnavailable());
    }

    [Fact]
    public void The_profile_timer_waits_for_the_due_time_but_never_less_than_a_second()
    {
        var state = new UserState();
        var session = Session(state);
        Assert.Null(session.ProfileCheckDelay(state));
        state.Profile.CountChanges(1, T0);
        // Never profiled, one change: due T (the default refresh interval) after it.
        Assert.Equal(new LlmOptions().ProfileRefreshInterval, session.ProfileCheckDelay(state));
        _time.Now = T0 + new LlmOptions().ProfileRefreshInterval + TimeSpan.FromMinutes(5);
        Assert.Equal(TimeSpan.FromSeconds(1), session.ProfileCheckDelay(state));
    }

    public async ValueTask DisposeAsync() => await _queue.DisposeAsync();

    private sealed class CountingReranker : IReranker
    {
        public int Calls;
        public RerankRequest? LastRequest;

        public RerankSource Source => RerankSource.Llm;

        public int EstimateTokens(RerankRequest request) => 0;

        public Task<RerankResult> RerankAsync(RerankRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            LastRequest = request;
            var scores = request.Candidates.ToDictionary(c => c.ItemId, _ => 0.5f);
            return Task.FromResult(new RerankResult(LlmResultStatus.Succeeded, scores, RerankSource.Llm, LlmUsage.None, default));
        }
    }

    private sealed class RecordingResults : IUserLlmResults
    {
        public List<RerankUpdate> Reranks { get; } = [];

        public Task ApplyProfileAsync(ProfileUpdate update) => Task.CompletedTask;

        public Task ApplyRerankAsync(RerankUpdate update)
        {
            lock (Reranks) Reranks.Add(update);
            return Task.CompletedTask;
        }
    }

    private sealed class SettableTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
