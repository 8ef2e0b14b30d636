using Microsoft.Extensions.Time.Testing;
using Orleans.LlmRec.Llm.Queue;

namespace Orleans.LlmRec.Llm.UnitTests;

public class TokenBudgetTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Starts_full_and_refills_at_the_per_minute_rate()
    {
        var budget = new TokenBudget(600, _time); // 10 tokens a second

        Assert.Equal(TimeSpan.Zero, budget.TryReserve(500));
        var wait = budget.TryReserve(200); // 100 left: 100 more take 10 s
        Assert.Equal(10, wait.TotalSeconds, 3);
        Assert.Equal(100, budget.Available, 3);

        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(TimeSpan.Zero, budget.TryReserve(200));
        Assert.Equal(0, budget.Available, 3);
    }

    [Fact]
    public void Never_holds_more_than_one_minute_of_tokens()
    {
        var budget = new TokenBudget(600, _time);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(600, budget.Available, 3);
    }

    [Fact]
    public void Settling_returns_what_was_not_spent_and_charges_what_was_overspent()
    {
        var budget = new TokenBudget(600, _time);
        budget.TryReserve(300);

        budget.Settle(300, 0); // answered from the cache
        Assert.Equal(600, budget.Available, 3);

        budget.TryReserve(300);
        budget.Settle(300, 900); // cost three times the estimate
        Assert.Equal(-300, budget.Available, 3);
        Assert.Equal(30.1, budget.TryReserve(1).TotalSeconds, 3); // 301 tokens short at 10 a second
    }

    [Fact]
    public void A_job_larger_than_the_bucket_runs_once_the_bucket_is_full()
    {
        var budget = new TokenBudget(100, _time);
        budget.TryReserve(50);

        Assert.True(budget.TryReserve(1_000) > TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.Zero, budget.TryReserve(1_000));
    }

    [Fact]
    public void Zero_means_no_budget()
    {
        var budget = new TokenBudget(0, _time);

        Assert.True(budget.IsUnlimited);
        Assert.Equal(TimeSpan.Zero, budget.TryReserve(1_000_000));
    }
}
