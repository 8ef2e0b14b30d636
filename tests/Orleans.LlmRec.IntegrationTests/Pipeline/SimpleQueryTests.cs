using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests.Pipeline;

/// <summary><see cref="SimpleQuery"/> answers exactly as the framework's own query parse, or is not used.</summary>
public sealed class SimpleQueryTests
{
    [Theory]
    [InlineData("?k=20")]
    [InlineData("?k=20&exclude=a,b,c&explain=true")]
    [InlineData("?K=5&Explain=false")]
    [InlineData("?k=")]
    [InlineData("?exclude=item-1.2_3~4")]
    public void A_simple_query_reads_as_the_framework_reads_it(string query)
    {
        Assert.True(SimpleQuery.IsSimple(query));
        IQueryFeature simple = new SimpleQuery(query);
        var framework = Framework(query);

        Assert.Equal(framework.Count, simple.Query.Count);
        Assert.Equal(framework.OrderBy(p => p.Key), simple.Query.OrderBy(p => p.Key));
        foreach (var key in new[] { "k", "K", "exclude", "explain", "EXPLAIN", "missing", "" })
        {
            Assert.Equal(framework[key], simple.Query[key]);
            Assert.Equal(framework.ContainsKey(key), simple.Query.ContainsKey(key));
            Assert.Equal(framework.TryGetValue(key, out var expected), simple.Query.TryGetValue(key, out var actual));
            Assert.Equal(expected, actual);
        }
    }

    /// <summary>Decoding, repeated keys (any case), empty parts or keys, a second '=', too many parts: left to the framework.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("?")]
    [InlineData("?k=2%30")]
    [InlineData("?exclude=a+b")]
    [InlineData("?k=1&k=2")]
    [InlineData("?k=1&K=2")]
    [InlineData("?k=1&&explain=true")]
    [InlineData("?k=1&")]
    [InlineData("?=1")]
    [InlineData("?k")]
    [InlineData("?k=1=2")]
    [InlineData("?k=1;explain=true")]
    [InlineData("?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9")]
    public void Anything_else_is_not_read_in_place(string query) => Assert.False(SimpleQuery.IsSimple(query));

    [Fact]
    public void A_replaced_query_is_the_one_read()
    {
        IQueryFeature simple = new SimpleQuery("?k=20");
        var replacement = Framework("?k=3");

        simple.Query = replacement;

        Assert.Same(replacement, simple.Query);
    }

    private static IQueryCollection Framework(string query) =>
        new QueryFeature(new FeatureCollection { [typeof(IHttpRequestFeature)] = new HttpRequestFeature { QueryString = query } }).Query;
}
