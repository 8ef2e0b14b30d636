using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.LlmRec.IntegrationTests.Infrastructure;

namespace Orleans.LlmRec.IntegrationTests.Security;

/// <summary>
/// Silo-to-silo TLS on its own (Security:ClusterTls): two silos presenting the cluster certificate form a cluster over
/// Redis membership and serve; a third silo with another certificate does not become an active member.
/// </summary>
public sealed class SiloTlsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_silos_with_the_cluster_certificate_form_a_cluster_and_a_silo_without_it_cannot_join()
    {
        var directory = Directory.CreateTempSubdirectory("llmrec-silo-tls-").FullName;
        try
        {
            var cluster = await WriteCertificateAsync(directory, "cluster.pfx");
            var stranger = await WriteCertificateAsync(directory, "stranger.pfx");
            await using var redis = await RedisServer.StartAsync();
            var shared = RedisClusterSettings.Shared(redis, "tls-" + Guid.NewGuid().ToString("N")[..8]);
            var ports = FreePorts.Take(9);
            Dictionary<string, string> Silo(int first, string certificate) => new(shared)
            {
                ["Silo:Storage"] = "Redis",
                ["Silo:AdvertisedAddress"] = "127.0.0.1",
                ["Silo:SiloPort"] = ports[first + 1].ToString(CultureInfo.InvariantCulture),
                ["Silo:GatewayPort"] = ports[first + 2].ToString(CultureInfo.InvariantCulture),
                ["Catalogue:SyntheticUsers"] = "50",
                ["Catalogue:SyntheticItems"] = "80",
                ["Model:Epochs"] = "1",
                ["Feed:ScoringBudget"] = "00:00:05",
                ["Security:ClusterTls:CertificateFile"] = certificate,
                ["Security:ClusterTls:CertificatePassword"] = "test-password",
            };

            await using var a = await SiloServer.StartAsync(ports[0], Silo(0, cluster));
            await using var b = await SiloServer.StartAsync(ports[3], Silo(3, cluster));
            await UntilAsync(async () => (await LocalCluster.GetClusterAsync(a.Client)).Silos.Count(s => s.Status == "Active") == 2, "two active silos over TLS");
            // Both serve, and users live on both: a feed through either silo reaches grains across the TLS link.
            for (var u = 0; u < 10; u++)
            {
                var feed = await new ServiceClient(u % 2 == 0 ? a.Client : b.Client).GetFeedAsync($"tls-user-{u}", "k=5");
                Assert.Equal(5, feed.Items.Count);
            }

            // A silo whose certificate the cluster does not know (its own process: Orleans stops a silo declared dead by
            // failing fast): its handshakes fail, the cluster declares it dead, and it never becomes an active member.
            SiloProcess? intruder = null;
            try
            {
                intruder = await SiloProcess.StartAsync("intruder", ports[6], Silo(6, stranger), Patience);
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                // Refused at start (it could not join the cluster): the expected outcome.
            }
            await using (intruder)
            {
                await Task.Delay(TimeSpan.FromSeconds(3));
                var view = await LocalCluster.GetClusterAsync(a.Client);
                Assert.Equal(2, view.Silos.Count(s => s.Status == "Active"));
                Assert.DoesNotContain(view.Silos, s => s.Status == "Active" && s.Address.Contains(ports[7].ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> WriteCertificateAsync(string directory, string name)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=" + Path.GetFileNameWithoutExtension(name), rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(directory, name);
        await File.WriteAllBytesAsync(path, certificate.Export(X509ContentType.Pfx, "test-password"));
        return path;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"not within {Patience}: {what}");
            await Task.Delay(200);
        }
    }
}
