using System.Security.Claims;
using Microsoft.Extensions.Configuration;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>Key making, hashing and configuration lines; bind-address rules (no server needed).</summary>
public sealed class ApiKeyFormatTests
{
    [Fact]
    public void A_new_key_is_random_prefixed_and_its_line_parses_back_without_the_key()
    {
        var key = ApiKeyFormat.NewKey();
        Assert.StartsWith(ApiKeyFormat.Prefix, key, StringComparison.Ordinal);
        Assert.NotEqual(key, ApiKeyFormat.NewKey());
        var line = ApiKeyFormat.Line(key, ["feeds:read", "events:write"], "user;with=odd chars", "mobile app");
        Assert.DoesNotContain(key, line, StringComparison.Ordinal);

        Assert.True(ApiKeyFormat.TryParse(line, out var entry, out var problem), problem);
        Assert.Equal(ApiKeyFormat.Hash(key), entry!.Sha256);
        Assert.Equal(["feeds:read", "events:write"], entry.Scopes);
        Assert.Equal("user;with=odd chars", entry.UserId);
        Assert.Equal("mobile app", entry.Name);
    }

    [Fact]
    public void The_hash_is_the_sha256_of_the_keys_utf8_text()
    {
        // printf 'abc' | sha256sum
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ApiKeyFormat.Hash("abc"));
    }

    [Theory]
    [InlineData("sha256=abc;scopes=feeds:read", "64 hex digits")]
    [InlineData("sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "needs scopes=")]
    [InlineData("sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;scopes=feeds:write", "unknown scope 'feeds:write'")]
    [InlineData("sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;scopes=admin;role=x", "unknown field 'role'")]
    [InlineData("sha256=ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad;scopes=admin;user=", "empty user=")]
    [InlineData("llmrec_abcdef", "holds a key, not its hash")]
    public void A_bad_line_is_refused_saying_why(string line, string expected)
    {
        Assert.False(ApiKeyFormat.TryParse(line, out _, out var problem));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_come_from_lines_and_a_file_and_a_repeated_key_is_refused()
    {
        var file = Path.GetTempFileName();
        try
        {
            var fromFile = ApiKeyFormat.Line(ApiKeyFormat.NewKey(), ["admin"], null, null);
            var inline = ApiKeyFormat.Line(ApiKeyFormat.NewKey(), ["feeds:read"], "u1", null);
            File.WriteAllLines(file, ["# operators", "", fromFile]);
            var options = new SecurityOptions { ApiKeys = [inline], ApiKeyFile = file };
            Assert.Empty(options.Validate(new(options)));
            Assert.Equal(2, options.Keys.Count);
            Assert.True(options.IsConfigured);

            options.ApiKeys.Add(fromFile);
            Assert.Contains(options.Validate(new(options)), r => r.ErrorMessage!.Contains("repeats a key", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://127.0.0.2:80", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://unix:/run/llmrec.sock", true)]
    [InlineData("http://0.0.0.0:5000", false)]
    [InlineData("http://[::]:5000", false)]
    [InlineData("http://+:8080", false)]
    [InlineData("http://*:8080", false)]
    [InlineData("http://10.0.0.5:8080", false)]
    [InlineData("http://example.com:8080", false)]
    public void Loopback_addresses_are_told_from_exposed_ones(string url, bool loopback) =>
        Assert.Equal(loopback, BindAddresses.IsLoopback(url));

    [Fact]
    public void Bind_addresses_are_read_as_kestrel_reads_them()
    {
        static IReadOnlyList<string> From(Dictionary<string, string?> values) =>
            BindAddresses.Configured(new ConfigurationBuilder().AddInMemoryCollection(values).Build());

        Assert.Equal([BindAddresses.DefaultUrl], From([]));
        Assert.Equal(["http://127.0.0.1:1", "http://0.0.0.0:2"], From(new() { ["urls"] = "http://127.0.0.1:1;http://0.0.0.0:2" }));
        Assert.Equal(["http://*:8080"], From(new() { ["http_ports"] = "8080" }));
        Assert.Equal(["https://0.0.0.0:443"], From(new() { ["urls"] = "http://localhost:1", ["Kestrel:Endpoints:Main:Url"] = "https://0.0.0.0:443" }));

        var open = new SecurityOptions();
        Assert.NotEmpty(BindAddresses.Check(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["http_ports"] = "8080" }).Build(), open));
        Assert.Empty(BindAddresses.Check(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["http_ports"] = "8080" }).Build(), new SecurityOptions { AllowAnonymous = true }));
    }
}

/// <summary>Events take one permit each; a refused batch takes none.</summary>
public sealed class EventPermitsTests
{
    [Fact]
    public void A_batch_takes_one_permit_per_event_and_a_refused_batch_takes_none()
    {
        using var permits = new EventPermits(new RateLimitOptions { EventsPerSecond = 1, EventsBurst = 100 }, on: true);
        Assert.True(permits.TryTake("a", 60, out _));
        Assert.False(permits.TryTake("a", 60, out var retryAfter));
        Assert.True(retryAfter is { TotalSeconds: > 0 }, "a refusal says when to retry");
        Assert.True(permits.TryTake("a", 40, out _));
        Assert.False(permits.TryTake("a", 1, out _));
        // Buckets are per credential.
        Assert.True(permits.TryTake("b", 100, out _));
    }

    [Fact]
    public void Events_for_one_user_are_limited_whoever_sends_them_and_a_refusal_takes_nothing()
    {
        using var permits = new EventPermits(new RateLimitOptions { EventsPerSecond = 1, EventsBurst = 100, PerUserEventsPerSecond = 1, PerUserEventsBurst = 10 }, on: true);
        Assert.Null(permits.Take("a", 8, [.. Enumerable.Repeat("u1", 8)]));
        // u1 has 2 left: a batch with 3 more of u1's events is refused whole, even from another credential.
        var refusal = permits.Take("b", 4, ["u1", "u1", "u1", "u2"]);
        Assert.NotNull(refusal);
        Assert.Equal(EventPermits.UserLimit, refusal.Limit);
        Assert.Equal("u1", refusal.UserId);
        Assert.True(refusal.RetryAfter >= TimeSpan.FromSeconds(1));
        // The refusal took nothing: u2 still has all 10, credential b all 100, u1 its 2.
        Assert.Null(permits.Take("b", 12, [.. Enumerable.Repeat("u2", 10), "u1", "u1"]));
        Assert.Equal(EventPermits.UserLimit, permits.Take("c", 1, ["u2"])?.Limit);
        // The credential's own bucket still applies: a has 92 left.
        Assert.Equal(EventPermits.CredentialLimit, permits.Take("a", 93, [.. Enumerable.Range(0, 93).Select(i => $"x{i}")])?.Limit);
    }

    [Fact]
    public void Off_every_batch_passes()
    {
        using var permits = new EventPermits(new RateLimitOptions { EventsPerSecond = 1, EventsBurst = 1 }, on: false);
        Assert.True(permits.TryTake("a", 1_000, out var retryAfter));
        Assert.Null(retryAfter);
    }
}

/// <summary>A token's claims in the service's terms, whichever spelling the identity provider uses.</summary>
public sealed class JwtClaimsTests
{
    [Fact]
    public void Scopes_come_from_scope_or_scp_and_the_user_from_the_configured_claim()
    {
        var token = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim("iss", "https://idp"), new Claim("sub", "svc-1"), new Claim("scp", "feeds:read"), new Claim("scp", "events:write"),
            new Claim("scope", "admin unknown:scope"), new Claim("uid", "u7"), new Claim(LlmRecClaims.User, "forged"),
        ]));
        var principal = JwtClaims.Normalise(token, new JwtSettings { UserClaim = "uid" });
        Assert.Equal(["feeds:read", "events:write", "admin"], principal.FindAll(LlmRecClaims.Scope).Select(c => c.Value));
        // Only the configured claim binds: a token cannot name its user through our own claim type.
        Assert.Equal(["u7"], principal.FindAll(LlmRecClaims.User).Select(c => c.Value));
        Assert.Equal("jwt:https://idp|svc-1", principal.FindFirst(LlmRecClaims.Credential)?.Value);

        var unbound = JwtClaims.Normalise(token, new JwtSettings());
        Assert.Equal(["svc-1"], unbound.FindAll(LlmRecClaims.User).Select(c => c.Value));
    }
}
