using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class SplitsTests
{
    private static Interaction[] RandomInteractions(int users, int items, int count, int seed)
    {
        var rng = new Random(seed);
        var set = new HashSet<(int, int)>();
        var list = new List<Interaction>();
        while (list.Count < count)
        {
            var (u, i) = (rng.Next(users), rng.Next(items));
            if (set.Add((u, i))) list.Add(new Interaction(u, i, rng.Next(1, 6), rng.Next(1_000_000)));
        }
        return [.. list];
    }

    private static void AssertPartition(Interaction[] all, DataSplit split)
    {
        Assert.Equal(all.Length, split.Train.Length + split.Test.Length);
        var train = split.Train.Select(x => (x.User, x.Item)).ToHashSet();
        Assert.DoesNotContain(split.Test, x => train.Contains((x.User, x.Item)));
        Assert.Equal(all.Select(x => (x.User, x.Item)).Order(), split.Train.Concat(split.Test).Select(x => (x.User, x.Item)).Order());
    }

    [Theory]
    [InlineData(StratifyBy.Item)]
    [InlineData(StratifyBy.User)]
    public void StratifiedSplitKeepsTheRatioInEveryGroup(StratifyBy by)
    {
        var all = RandomInteractions(60, 80, 2_000, 1);
        var split = Splits.Stratified(all, 0.75, by, seed: 42);
        AssertPartition(all, split);
        int Key(Interaction x) => by == StratifyBy.Item ? x.Item : x.User;
        foreach (var group in all.GroupBy(Key))
        {
            var expectedTrain = (int)Math.Round(group.Count() * 0.75, MidpointRounding.ToEven);
            Assert.Equal(expectedTrain, split.Train.Count(x => Key(x) == group.Key));
        }
    }

    [Fact]
    public void StratifiedSplitIsDeterministicAndIndependentOfInputOrder()
    {
        var all = RandomInteractions(30, 40, 500, 2);
        var a = Splits.Stratified(all, seed: 42);
        var b = Splits.Stratified(all.Reverse().ToArray(), seed: 42);
        Assert.Equal(a.Test.Select(x => (x.User, x.Item)).Order(), b.Test.Select(x => (x.User, x.Item)).Order());
        var c = Splits.Stratified(all, seed: 43);
        Assert.NotEqual(a.Test.Select(x => (x.User, x.Item)).Order(), c.Test.Select(x => (x.User, x.Item)).Order());
    }

    [Fact]
    public void StratifiedSplitDropsSmallGroups()
    {
        Interaction[] all = [new(0, 0, 1, 0), new(1, 0, 1, 0), new(2, 1, 1, 0)];
        var split = Splits.Stratified(all, 0.5, StratifyBy.Item, 42, minGroupSize: 2);
        Assert.DoesNotContain(split.Train.Concat(split.Test), x => x.Item == 1);
    }

    [Fact]
    public void LeaveOneOutHoldsOutTheLatestPerUser()
    {
        var all = RandomInteractions(20, 50, 300, 3);
        var split = Splits.LeaveOneOut(all);
        AssertPartition(all, split);
        foreach (var held in split.Test)
        {
            var latest = all.Where(x => x.User == held.User).Max(x => x.Timestamp);
            Assert.Equal(latest, held.Timestamp);
        }
        Assert.Equal(all.Where(x => all.Count(y => y.User == x.User) >= 2).Select(x => x.User).Distinct().Count(), split.Test.Length);
    }

    [Fact]
    public void RandomLeaveOneOutHoldsOutOnePerUser()
    {
        var all = RandomInteractions(20, 50, 300, 4);
        var split = Splits.LeaveOneOut(all, LeaveOneOutMode.Random, 5);
        AssertPartition(all, split);
        Assert.Equal(split.Test.Length, split.Test.Select(x => x.User).Distinct().Count());
    }

    [Fact]
    public void TemporalSplitTrainsOnThePast()
    {
        var all = RandomInteractions(20, 50, 400, 5);
        var split = Splits.Temporal(all, 0.8);
        AssertPartition(all, split);
        Assert.True(split.Train.Max(x => x.Timestamp) <= split.Test.Min(x => x.Timestamp));
        var perUser = Splits.Temporal(all, 0.8, perUser: true);
        AssertPartition(all, perUser);
        foreach (var user in perUser.Test.Select(x => x.User).Distinct())
        {
            Assert.True(perUser.Train.Where(x => x.User == user).Max(x => x.Timestamp) <= perUser.Test.Where(x => x.User == user).Min(x => x.Timestamp));
        }
    }

    [Fact]
    public void RandomSplitPartitions()
    {
        var all = RandomInteractions(20, 50, 400, 6);
        var split = Splits.Random(all, 0.75, 1);
        AssertPartition(all, split);
        Assert.Equal(300, split.Train.Length);
    }

    [Fact]
    public void RatioOutsideZeroOneIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Splits.Stratified([], 1.0));
    }
}
