using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests;

public class IdMapTests
{
    [Fact]
    public void AssignsDenseIndexesInFirstSeenOrder()
    {
        var map = new IdMap();
        Assert.Equal(0, map.GetOrAdd("42"));
        Assert.Equal(1, map.GetOrAdd("7"));
        Assert.Equal(0, map.GetOrAdd("42"));
        Assert.Equal("7", map.GetExternalId(1));
        Assert.Equal(2, map.Count);
    }

    [Fact]
    public void ChecksumDependsOnOrder()
    {
        Assert.Equal(new IdMap(["a", "b"]).Checksum(), new IdMap(["a", "b"]).Checksum());
        Assert.NotEqual(new IdMap(["a", "b"]).Checksum(), new IdMap(["b", "a"]).Checksum());
    }
}
