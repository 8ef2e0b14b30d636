using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// The embedded host (localhost clustering, memory storage, a small synthetic catalogue) with access control on: API keys
/// of several scopes, one bound to a user, and HS256 JWTs signed here; small rate limits for dedicated keys and users.
/// </summary>
public sealed class SecuredService : IAsyncLifetime
{
    public const string Issuer = "https://issuer.test";
    public const string Audience = "llmrec-tests";
    public const int PerUserBurst = 20;
    public const int EventsBurst = 100;
    public const int PerUserEventsBurst = 20;

    public static readonly byte[] SigningKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    public SiloServer Silo { get; private set; } = null!;

    /// <summary>Keys by role: reader (feeds:read), writer (events:write, users:write), admin, bound (everything but admin, user "alice"), events (events:write, its own bucket), metrics (metrics:read, a Prometheus scraper).</summary>
    public Dictionary<string, string> Keys { get; } = [];

    public async Task InitializeAsync()
    {
        var grants = new Dictionary<string, (string Scopes, string? User)>
        {
            ["reader"] = ("feeds:read", null),
            ["writer"] = ("events:write,users:write", null),
            ["admin"] = ("admin", null),
            ["bound"] = ("feeds:read,users:write,events:write", "alice"),
            ["events"] = ("events:write", null),
            ["metrics"] = ("metrics:read", null),
        };
        var settings = new Dictionary<string, string>();
        var index = 0;
        foreach (var (role, (scopes, user)) in grants)
        {
            var key = ApiKeyFormat.NewKey();
            Keys[role] = key;
            settings[$"Security:ApiKeys:{index++}"] = ApiKeyFormat.Line(key, scopes.Split(','), user, role);
        }
        var ports = FreePorts.Take(3);
        settings["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture);
        settings["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture);
        settings["Catalogue:SyntheticUsers"] = "200";
        settings["Catalogue:SyntheticItems"] = "300";
        settings["Model:Epochs"] = "3";
        settings["Feed:ScoringBudget"] = "00:00:05";
        settings["Logging:LogLevel:Default"] = "Warning";
        settings["Security:Jwt:Issuer"] = Issuer;
        settings["Security:Jwt:Audience"] = Audience;
        settings["Security:Jwt:SigningKey"] = Convert.ToBase64String(SigningKey);
        settings["Security:Jwt:ClockSkew"] = "00:00:00";
        settings["RateLimits:PerUserRequestsPerSecond"] = "5";
        settings["RateLimits:PerUserBurst"] = PerUserBurst.ToString(CultureInfo.InvariantCulture);
        settings["RateLimits:EventsPerSecond"] = "1";
        settings["RateLimits:EventsBurst"] = EventsBurst.ToString(CultureInfo.InvariantCulture);
        settings["RateLimits:PerUserEventsPerSecond"] = "1";
        settings["RateLimits:PerUserEventsBurst"] = PerUserEventsBurst.ToString(CultureInfo.InvariantCulture);
        settings["Ingestion:MaxBatchSize"] = EventsBurst.ToString(CultureInfo.InvariantCulture);
        Silo = await SiloServer.StartAsync(ports[0], settings);
    }

    public async Task DisposeAsync()
    {
        if (Silo is not null) await Silo.DisposeAsync();
    }

    public Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key = null, string? bearer = null, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        if (key is not null) request.Headers.Add(ApiKeyAuthenticationHandler.HeaderName, key);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return Silo.Client.SendAsync(request);
    }

    /// <summary>An HS256 token as an identity provider would issue it.</summary>
    public static string Token(string scope, string? subject, string audience = Audience, TimeSpan? expiresIn = null, byte[]? key = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (expiresIn ?? TimeSpan.FromMinutes(5));
        var claims = new Dictionary<string, object> { ["scope"] = scope };
        if (subject is not null) claims["sub"] = subject;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Claims = claims,
            IssuedAt = expires < now ? expires.AddMinutes(-10) : now,
            NotBefore = expires < now ? expires.AddMinutes(-10) : now,
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? SigningKey), SecurityAlgorithms.HmacSha256),
        });
    }
}

[CollectionDefinition(Name)]
public sealed class SecuredServiceCollection : ICollectionFixture<SecuredService>
{
    public const string Name = "secured service";
}
