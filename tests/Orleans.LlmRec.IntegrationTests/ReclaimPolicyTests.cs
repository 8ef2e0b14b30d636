using Orleans.LlmRec.Silo.Memory;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>When the silo compacts its heap after idle grains left (no silo needed).</summary>
public class ReclaimPolicyTests
{
    [Fact]
    public void A_wave_of_deactivations_compacts_at_a_quarter_of_the_peak_and_again_when_the_rest_left()
    {
        var policy = new ReclaimPolicy(minShrink: 20_000);
        var compactedAt = new List<long>();
        foreach (var active in (long[])[0, 400_000, 1_000_000, 700_000, 400_000, 250_001, 250_000, 200_000, 62_500, 30_000, 0, 0])
        {
            if (policy.ShouldReclaim(active)) compactedAt.Add(active);
        }
        Assert.Equal([250_000, 62_500, 0], compactedAt);
    }

    [Fact]
    public void Steady_churn_and_small_silos_never_compact()
    {
        var steady = new ReclaimPolicy(minShrink: 20_000);
        for (var minute = 0; minute < 1_000; minute++)
        {
            // Users come and go at about the same rate: the count wanders around its level.
            Assert.False(steady.ShouldReclaim(500_000 + (minute % 7 - 3) * 10_000));
        }
        var small = new ReclaimPolicy(minShrink: 20_000);
        Assert.False(small.ShouldReclaim(19_000));
        Assert.False(small.ShouldReclaim(0));
        var off = new ReclaimPolicy(minShrink: 0);
        Assert.False(off.ShouldReclaim(1_000_000));
        Assert.False(off.ShouldReclaim(0));
    }
}
