using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// Orleans' gateway port under TLS (Security:ClusterTls) with a self-signed certificate made here: the gateway answers a
/// TLS handshake with that certificate, and an API tier presenting it serves feeds through that gateway (to a caller
/// with an API key: the tier is protected like a silo).
/// </summary>
public sealed class ClusterTlsTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("llmrec-tls-").FullName;
    private X509Certificate2 _certificate = null!;
    private int _gatewayPort;
    private SiloServer _silo = null!;
    private SiloServer _tier = null!;
    private string _key = null!;

    public async Task InitializeAsync()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=llmrec-cluster", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        _certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_directory, "cluster.pfx");
        await File.WriteAllBytesAsync(path, _certificate.Export(X509ContentType.Pfx, "test-password"));
        var tls = new Dictionary<string, string>
        {
            ["Security:ClusterTls:CertificateFile"] = path,
            ["Security:ClusterTls:CertificatePassword"] = "test-password",
            ["Logging:LogLevel:Default"] = "Warning",
        };

        var ports = FreePorts.Take(4);
        _gatewayPort = ports[2];
        _silo = await SiloServer.StartAsync(ports[0], new Dictionary<string, string>(tls)
        {
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["Catalogue:SyntheticUsers"] = "100",
            ["Catalogue:SyntheticItems"] = "200",
            ["Model:Epochs"] = "2",
            ["Feed:ScoringBudget"] = "00:00:05",
        });
        // The tier is protected like a silo: one key, so the test also shows it refusing a request without it.
        _key = Silo.Security.ApiKeyFormat.NewKey();
        _tier = await SiloServer.StartAsync(ports[3], new Dictionary<string, string>(tls)
        {
            ["Security:ApiKeys:0"] = Silo.Security.ApiKeyFormat.Line(_key, ["feeds:read"], null, "tier"),
            ["Silo:Role"] = "ApiTier",
            ["Silo:GatewayPort"] = _gatewayPort.ToString(CultureInfo.InvariantCulture),
        });
    }

    public async Task DisposeAsync()
    {
        if (_tier is not null) await _tier.DisposeAsync();
        if (_silo is not null) await _silo.DisposeAsync();
        _certificate?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task The_gateway_speaks_tls_with_the_cluster_certificate_and_the_tier_serves_through_it()
    {
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync("127.0.0.1", _gatewayPort);
            await using var ssl = new SslStream(tcp.GetStream(), false, (_, _, _, _) => true);
            await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = "llmrec-cluster",
                ClientCertificates = [_certificate],
            });
            Assert.Equal(_certificate.Thumbprint, ssl.RemoteCertificate?.GetCertHashString());
        }

        using (var anonymous = await _tier.Client.GetAsync("/v1/users/tls-user/feed?k=5"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }
        _tier.Client.DefaultRequestHeaders.Add("X-Api-Key", _key);
        var feed = await new ServiceClient(_tier.Client).GetFeedAsync("tls-user", "k=5");
        Assert.Equal(5, feed.Items.Count);
    }
}
