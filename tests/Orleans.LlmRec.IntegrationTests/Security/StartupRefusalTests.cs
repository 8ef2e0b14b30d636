using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>A host without access control listens on loopback only, unless told otherwise.</summary>
public sealed class StartupRefusalTests
{
    [Fact]
    public async Task A_non_loopback_address_without_access_control_is_refused_at_start()
    {
        var ports = FreePorts.Take(3);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            // After SiloServer's own --urls, so it wins.
            ["urls"] = $"http://0.0.0.0:{ports[0].ToString(CultureInfo.InvariantCulture)}",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        }));
        Assert.Contains("Refusing to serve http://0.0.0.0:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Security:AllowAnonymous=true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_key_line_holding_a_key_instead_of_its_hash_is_refused_by_name()
    {
        var ports = FreePorts.Take(3);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["Security:ApiKeys:0"] = Silo.Security.ApiKeyFormat.NewKey(),
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        }));
        Assert.Contains("Security:ApiKeys:0 holds a key, not its hash", error.Message, StringComparison.Ordinal);
    }
}
