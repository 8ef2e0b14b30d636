using System.Globalization;
using System.Net;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// Key rotation without a restart: the silo re-reads <c>Security:ApiKeyFile</c> when it changes. Old and new keys are
/// valid side by side while both lines are in the file; a removed key is refused; a broken file changes nothing.
/// </summary>
public sealed class KeyRotationTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Keys_rotate_by_editing_the_key_file_while_the_silo_serves()
    {
        var folder = Directory.CreateTempSubdirectory("llmrec-keys-");
        try
        {
            var file = Path.Combine(folder.FullName, "api-keys.txt");
            var (oldKey, newKey) = (ApiKeyFormat.NewKey(), ApiKeyFormat.NewKey());
            var oldLine = ApiKeyFormat.Line(oldKey, [ApiScopes.FeedsRead], null, "old");
            var newLine = ApiKeyFormat.Line(newKey, [ApiScopes.FeedsRead], null, "new");
            await File.WriteAllTextAsync(file, "# keys\n" + oldLine + "\n");
            var ports = FreePorts.Take(3);
            await using var silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>
            {
                ["Security:ApiKeyFile"] = file,
                ["Security:ApiKeyFileCheckInterval"] = "00:00:00.2",
                ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
                ["Catalogue:SyntheticUsers"] = "50",
                ["Catalogue:SyntheticItems"] = "80",
                ["Model:Epochs"] = "1",
                ["Logging:LogLevel:Default"] = "Warning",
            });

            async Task<HttpStatusCode> StatusWithAsync(string key)
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/users/rotation-user/feed");
                request.Headers.Add(ApiKeyAuthenticationHandler.HeaderName, key);
                using var response = await silo.Client.SendAsync(request);
                return response.StatusCode;
            }

            async Task EventuallyAsync(string key, HttpStatusCode expected, string what)
            {
                var deadline = DateTime.UtcNow + Patience;
                HttpStatusCode status;
                while ((status = await StatusWithAsync(key)) != expected)
                {
                    Assert.True(DateTime.UtcNow < deadline, $"{what}: still {status} after {Patience}");
                    await Task.Delay(100);
                }
            }

            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(oldKey));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(newKey));

            // Rotation, step 1: both lines. The new key starts working; the old one keeps working.
            await File.WriteAllTextAsync(file, oldLine + "\n" + newLine + "\n");
            await EventuallyAsync(newKey, HttpStatusCode.OK, "the added key");
            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(oldKey));

            // Step 2: the old line removed. The old key is refused; the new one serves.
            await File.WriteAllTextAsync(file, newLine + "\n");
            await EventuallyAsync(oldKey, HttpStatusCode.Unauthorized, "the removed key");
            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(newKey));

            // A broken edit (a raw key pasted instead of its line) is not applied: the keys in use stay valid.
            await File.WriteAllTextAsync(file, newLine + "\n" + oldKey + "\n");
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(HttpStatusCode.OK, await StatusWithAsync(newKey));
            Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithAsync(oldKey));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
