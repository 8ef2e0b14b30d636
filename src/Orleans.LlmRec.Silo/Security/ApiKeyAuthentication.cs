using System.Collections.Concurrent;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// The configured keys by hash: a presented key is hashed once and looked up, never compared as text. The set is
/// replaced whole when the key file changes (<see cref="ApiKeyFileWatcher"/>): a request sees the old set or the new.
/// </summary>
/// <remarks>
/// Each set also keeps the principal of every key that was presented and found in it (<see cref="PrincipalFor"/>), so
/// a key's later requests are neither hashed nor turned into claims again. The principals live and die with their set:
/// a rotation that revokes a key swaps in a set with no principals, so the key stops working at the rotation poll that
/// saw the file change, as before. Only keys the set holds are kept, each under the one text that hashes to it, so the
/// cache holds at most as many principals as there are configured keys: a client presenting random keys adds nothing.
/// </remarks>
public sealed class ApiKeyStore(IOptions<SecurityOptions> options)
{
    private KeySet _keys = new(options.Value.Keys);

    public ApiKeyEntry? Find(string key) => Volatile.Read(ref _keys).Find(key);

    /// <summary>The principal of a key of the current set (the same object for each request presenting it), or null for an unknown key.</summary>
    public ClaimsPrincipal? PrincipalFor(string key) => Volatile.Read(ref _keys).PrincipalFor(key);

    public int Count => Volatile.Read(ref _keys).Count;

    /// <summary>Principals kept for the current set (at most <see cref="Count"/>).</summary>
    public int CachedPrincipals => Volatile.Read(ref _keys).CachedPrincipals;

    /// <summary>Serves exactly <paramref name="keys"/> from now on; principals made for the previous set are no longer answered.</summary>
    public void Replace(IEnumerable<ApiKeyEntry> keys) => Volatile.Write(ref _keys, new KeySet(keys));

    private sealed class KeySet(IEnumerable<ApiKeyEntry> keys)
    {
        private readonly Dictionary<string, ApiKeyEntry> _byHash = keys.ToDictionary(k => k.Sha256, StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, ClaimsPrincipal> _principals = new(StringComparer.Ordinal);

        public int Count => _byHash.Count;

        public int CachedPrincipals => _principals.Count;

        public ApiKeyEntry? Find(string key) => _byHash.GetValueOrDefault(ApiKeyFormat.Hash(key));

        public ClaimsPrincipal? PrincipalFor(string key)
        {
            if (_principals.TryGetValue(key, out var principal)) return principal;
            if (Find(key) is not { } entry) return null;
            return _principals.GetOrAdd(key, ApiKeyPrincipal.For(entry));
        }
    }
}

/// <summary>
/// A key's identity in the service's claims: which credential it is, its name, its scopes, its user. One object is
/// shared by every request presenting the key (<see cref="ApiKeyStore.PrincipalFor"/>): nothing on the request path
/// adds claims or identities to a principal (claims transformation is the framework's no-op).
/// </summary>
public static class ApiKeyPrincipal
{
    public static ClaimsPrincipal For(ApiKeyEntry entry)
    {
        var claims = new List<Claim> { new(LlmRecClaims.Credential, "key:" + entry.Name), new(ClaimTypes.Name, entry.Name) };
        claims.AddRange(entry.Scopes.Select(s => new Claim(LlmRecClaims.Scope, s)));
        if (entry.UserId is { } user) claims.Add(new Claim(LlmRecClaims.User, user));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, ApiKeyAuthenticationHandler.SchemeName));
    }
}

/// <summary>
/// API keys in <c>X-Api-Key: KEY</c> or <c>Authorization: ApiKey KEY</c> (the form Prometheus' <c>authorization</c>
/// block sends). A request with neither is left to the other schemes (no result); an unknown key fails.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string HeaderName = "X-Api-Key";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (KeyOf(Request) is not { } key) return Task.FromResult(AuthenticateResult.NoResult());
        if (keys.PrincipalFor(key) is not { } principal) return Task.FromResult(AuthenticateResult.Fail("The API key is not known (revoked, or mistyped)."));
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName)));
    }

    /// <summary>The key a request presents, if any.</summary>
    public static string? KeyOf(HttpRequest request)
    {
        if (request.Headers[HeaderName] is { Count: > 0 } header && !string.IsNullOrWhiteSpace(header[0])) return header[0]!.Trim();
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith(SchemeName + " ", StringComparison.OrdinalIgnoreCase) ? authorization[(SchemeName.Length + 1)..].Trim() : null;
    }
}

/// <summary>A JWT's claims in the service's terms: its scopes (<c>scope</c> or <c>scp</c>), its user, which credential it is.</summary>
public static class JwtClaims
{
    public static ClaimsPrincipal Normalise(ClaimsPrincipal token, JwtSettings settings)
    {
        var claims = new List<Claim>();
        // scope is one space-separated string (RFC 8693); scp is that or an array (Microsoft Entra), one claim per entry.
        var scopes = token.FindAll(c => c.Type is "scope" or "scp")
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(ApiScopes.IsKnown)
            .Distinct(StringComparer.Ordinal);
        claims.AddRange(scopes.Select(s => new Claim(LlmRecClaims.Scope, s)));
        if (token.FindFirst(settings.UserClaim)?.Value is { Length: > 0 } user) claims.Add(new Claim(LlmRecClaims.User, user));
        var subject = token.FindFirst("sub")?.Value ?? token.FindFirst("client_id")?.Value ?? token.FindFirst("azp")?.Value ?? "";
        claims.Add(new Claim(LlmRecClaims.Credential, $"jwt:{token.FindFirst("iss")?.Value}|{subject}"));
        claims.Add(new Claim(ClaimTypes.Name, subject));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "Bearer"));
    }
}
