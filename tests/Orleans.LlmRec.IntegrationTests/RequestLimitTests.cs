using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Apis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>
/// Requests too large or malformed for the HTTP layer. Up to Kestrel's raised ceilings they get a problem+json naming
/// what was too large; past them, and for requests Kestrel cannot parse, Kestrel answers before any middleware with an
/// empty body, which nothing in ASP.NET Core can change (src/Orleans.LlmRec.Silo/README.md, "Bad input").
/// </summary>
[Collection(ServiceOverRedis.Name)]
public class RequestLimitTests(ServiceFixture service)
{
    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal((int)status, problem.RootElement.GetProperty("status").GetInt32());
        return problem.RootElement.Clone();
    }

    [Fact]
    public async Task A_url_over_the_limit_is_a_414_problem_naming_the_long_parameter()
    {
        var exclude = string.Join(',', Enumerable.Range(0, 2_000).Select(i => $"item-{i}"));
        Assert.InRange(exclude.Length, RequestLimits.MaxRequestLineBytes, RequestLimits.KestrelRequestLineBytes - 100);

        using var response = await service.Client.GetAsync($"/v1/users/limits-user/feed?exclude={exclude}");

        var problem = await ProblemAsync(response, HttpStatusCode.RequestUriTooLong);
        Assert.True(problem.GetProperty("errors").TryGetProperty("exclude", out _), problem.ToString());
        Assert.Contains($"at most {RequestLimits.MaxRequestLineBytes}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headers_over_the_limit_are_a_431_problem_naming_the_largest_header()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/users/limits-user/feed");
        request.Headers.Add("X-Big", new string('b', RequestLimits.MaxHeaderBytes + 1_000));

        using var response = await service.Client.SendAsync(request);

        var problem = await ProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.True(problem.GetProperty("errors").TryGetProperty("headers.X-Big", out _), problem.ToString());
    }

    [Fact]
    public async Task Too_many_headers_are_a_431_problem()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/users/limits-user/feed");
        for (var i = 0; i < RequestLimits.MaxHeaderCount + 10; i++) request.Headers.Add($"X-H{i}", "v");

        using var response = await service.Client.SendAsync(request);

        var problem = await ProblemAsync(response, HttpStatusCode.RequestHeaderFieldsTooLarge);
        Assert.Contains("header lines", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/no-such-route", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/v1/events", HttpStatusCode.MethodNotAllowed)]
    public async Task Empty_answers_of_routing_are_problems_too(string method, string path, HttpStatusCode status)
    {
        using var response = await service.Client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        await ProblemAsync(response, status);
    }

    /// <summary>What cannot be changed, pinned so that it is known: Kestrel's own answers carry no body.</summary>
    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /v1/users/x/feed HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n", 400)]
    [InlineData("GET /v1/users/x/feed HTTP/1.1\r\n\r\n", 400)]
    public async Task Requests_kestrel_cannot_parse_get_its_bare_400_and_never_reach_the_service(string raw, int status)
    {
        var (code, body) = await SendRawAsync(Encoding.ASCII.GetBytes(raw));
        Assert.Equal(status, code);
        Assert.Equal("", body);
    }

    [Fact]
    public async Task A_url_past_kestrels_ceiling_gets_kestrels_bare_414()
    {
        var raw = $"GET /v1/users/x/feed?exclude={new string('x', RequestLimits.KestrelRequestLineBytes)} HTTP/1.1\r\nHost: localhost\r\n\r\n";
        var (code, body) = await SendRawAsync(Encoding.ASCII.GetBytes(raw));
        Assert.Equal(414, code);
        Assert.Equal("", body);
    }

    /// <summary>One request on a fresh connection; the status code and body of the answer.</summary>
    private async Task<(int Status, string Body)> SendRawAsync(byte[] request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, service.Client.BaseAddress!.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var answer = await reader.ReadToEndAsync(timeout.Token);
        var statusLine = answer[..answer.IndexOf("\r\n", StringComparison.Ordinal)];
        var body = answer[(answer.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        return (int.Parse(statusLine.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), body);
    }
}
