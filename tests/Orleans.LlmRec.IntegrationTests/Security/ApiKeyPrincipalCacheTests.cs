using System.Security.Claims;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// The principal kept per API key (<see cref="ApiKeyStore.PrincipalFor"/>): made once per key and key set, never kept
/// for an unknown key, and gone with the key set, so a key revoked by a rotation stops working at that rotation (no server needed).
/// </summary>
public sealed class ApiKeyPrincipalCacheTests
{
    private static ApiKeyEntry Entry(string key, string scope, string? user = null, string name = "app")
    {
        Assert.True(ApiKeyFormat.TryParse(ApiKeyFormat.Line(key, [scope], user, name), out var entry, out var problem), problem);
        return entry!;
    }

    private static ApiKeyStore StoreWith(params ApiKeyEntry[] keys)
    {
        var store = new ApiKeyStore(Options.Create(new SecurityOptions()));
        store.Replace(keys);
        return store;
    }

    [Fact]
    public void A_key_presented_again_gets_the_same_principal_with_its_claims()
    {
        var key = ApiKeyFormat.NewKey();
        var store = StoreWith(Entry(key, ApiScopes.FeedsRead, user: "u-1", name: "mobile"));

        var first = store.PrincipalFor(key);
        Assert.NotNull(first);
        Assert.Same(first, store.PrincipalFor(key));
        Assert.Equal(1, store.CachedPrincipals);
        Assert.True(first.Identity!.IsAuthenticated);
        Assert.Equal(ApiKeyAuthenticationHandler.SchemeName, first.Identity.AuthenticationType);
        Assert.Equal("key:mobile", first.FindFirst(LlmRecClaims.Credential)?.Value);
        Assert.Equal("mobile", first.FindFirst(ClaimTypes.Name)?.Value);
        Assert.Equal([ApiScopes.FeedsRead], first.FindAll(LlmRecClaims.Scope).Select(c => c.Value));
        Assert.Equal("u-1", AccessPolicies.BoundUser(first));
    }

    [Fact]
    public void Unknown_keys_are_refused_and_never_kept()
    {
        var key = ApiKeyFormat.NewKey();
        var store = StoreWith(Entry(key, ApiScopes.FeedsRead));
        for (var i = 0; i < 200; i++) Assert.Null(store.PrincipalFor(ApiKeyFormat.NewKey()));
        // A known key with a changed character is another (unknown) key.
        Assert.Null(store.PrincipalFor(key[..^1] + (key[^1] == 'A' ? 'B' : 'A')));
        Assert.Equal(0, store.CachedPrincipals);
        Assert.NotNull(store.PrincipalFor(key));
        Assert.Equal(1, store.CachedPrincipals);
    }

    [Fact]
    public void A_rotation_drops_kept_principals_a_revoked_key_is_refused_and_a_changed_key_gets_its_new_scopes()
    {
        var (kept, revoked) = (ApiKeyFormat.NewKey(), ApiKeyFormat.NewKey());
        var store = StoreWith(Entry(kept, ApiScopes.FeedsRead), Entry(revoked, ApiScopes.FeedsRead));
        var before = store.PrincipalFor(kept);
        Assert.NotNull(store.PrincipalFor(revoked));
        Assert.Equal(2, store.CachedPrincipals);

        // The revoked key's line removed, the kept key's scopes changed.
        store.Replace([Entry(kept, ApiScopes.EventsWrite)]);

        Assert.Null(store.PrincipalFor(revoked));
        Assert.Null(store.Find(revoked));
        var after = store.PrincipalFor(kept);
        Assert.NotNull(after);
        Assert.NotSame(before, after);
        Assert.Equal([ApiScopes.EventsWrite], after.FindAll(LlmRecClaims.Scope).Select(c => c.Value));
        Assert.Equal(1, store.CachedPrincipals);
    }

    [Fact]
    public void A_key_removed_from_the_key_file_is_refused_after_the_next_poll_even_when_its_principal_was_kept()
    {
        var folder = Directory.CreateTempSubdirectory("llmrec-principals-");
        try
        {
            var file = Path.Combine(folder.FullName, "api-keys.txt");
            var (stays, goes) = (ApiKeyFormat.NewKey(), ApiKeyFormat.NewKey());
            var staysLine = ApiKeyFormat.Line(stays, [ApiScopes.FeedsRead], null, "stays");
            File.WriteAllText(file, staysLine + "\n" + ApiKeyFormat.Line(goes, [ApiScopes.FeedsRead], null, "goes") + "\n");
            var options = Options.Create(new SecurityOptions { ApiKeyFile = file });
            var store = new ApiKeyStore(options);
            var watcher = new ApiKeyFileWatcher(options, store, TimeProvider.System, NullLogger<ApiKeyFileWatcher>.Instance);

            watcher.Check(file);
            Assert.NotNull(store.PrincipalFor(goes));
            Assert.NotNull(store.PrincipalFor(stays));

            File.WriteAllText(file, staysLine + "\n");
            // Until the poll sees the change, the kept principal still answers (as the key did before the cache).
            Assert.NotNull(store.PrincipalFor(goes));
            watcher.Check(file);
            Assert.Null(store.PrincipalFor(goes));
            Assert.NotNull(store.PrincipalFor(stays));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
