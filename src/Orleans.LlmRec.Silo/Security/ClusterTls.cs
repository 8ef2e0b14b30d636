using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// TLS on Orleans' connections (silo to silo, API tier to gateway), both ways: every host presents the certificate of
/// <c>Security:ClusterTls:CertificateFile</c> and accepts a peer presenting that same certificate (by SHA-256
/// thumbprint), or, with <c>TrustChain</c>, any certificate that chains to a trusted root. A host without it cannot
/// join or reach the cluster.
/// </summary>
public static class ClusterTls
{
    public static X509Certificate2 Load(ClusterTlsSettings settings) =>
        X509CertificateLoader.LoadPkcs12FromFile(settings.CertificateFile!, settings.CertificatePassword);

    public static void Configure(TlsOptions options, X509Certificate2 certificate, bool trustChain)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        var own = certificate.GetCertHash(HashAlgorithmName.SHA256);
        options.RemoteCertificateValidation = (remote, _, errors) =>
            (trustChain && errors == SslPolicyErrors.None)
            || (remote is not null && CryptographicOperations.FixedTimeEquals(remote.GetCertHash(HashAlgorithmName.SHA256), own));
    }
}
