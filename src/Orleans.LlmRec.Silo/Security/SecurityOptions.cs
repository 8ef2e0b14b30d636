using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// Access control (configuration section <c>Security</c>; SECURITY.md). Off unless API keys or JWT are configured;
/// off is allowed only on loopback addresses unless <see cref="AllowAnonymous"/> says otherwise.
/// </summary>
public sealed class SecurityOptions : IValidatableObject
{
    public const string SectionName = "Security";

    /// <summary>Serve without access control on a non-loopback address anyway (e.g. behind a gateway that authenticates).</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>API keys, one line each as <c>llmrec keys new</c> prints it (<see cref="ApiKeyFormat"/>); e.g. from <c>Security__ApiKeys__0</c>.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>A file of such lines (blank lines and lines starting with # are skipped); read at start and re-read when it changes.</summary>
    public string? ApiKeyFile { get; set; }

    /// <summary>How often <see cref="ApiKeyFile"/> is checked for changes (key rotation without a restart).</summary>
    public TimeSpan ApiKeyFileCheckInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary><c>/metrics</c> without the admin scope (a scraper on a private network); off by default.</summary>
    public bool AnonymousMetrics { get; set; }

    /// <summary>How long a dashboard login lasts (<see cref="DashboardLogin"/>); not renewed by use.</summary>
    public TimeSpan DashboardSession { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>
    /// A folder for ASP.NET Core's data-protection keys, which sign and encrypt dashboard session cookies. Share it
    /// (a volume) between hosts behind one load balancer so a login on one is valid on all; unset, each machine keeps
    /// its own (~/.aspnet/DataProtection-Keys).
    /// </summary>
    public string? DataProtectionKeysPath { get; set; }

    public JwtSettings Jwt { get; set; } = new();

    /// <summary>TLS between silos and from API tiers to gateways (Orleans' own ports).</summary>
    public ClusterTlsSettings ClusterTls { get; set; } = new();

    /// <summary>Every key configured (lines and file), parsed by <see cref="Validate"/>.</summary>
    public IReadOnlyList<ApiKeyEntry> Keys => _keys;

    private readonly List<ApiKeyEntry> _keys = [];

    /// <summary>True when any credential can be checked: then every endpoint but /health and /openapi needs one.</summary>
    public bool IsConfigured => ApiKeys.Count > 0 || ApiKeyFile is not null || Jwt.IsEnabled;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        _keys.Clear();
        var lines = ApiKeys.Select((line, i) => ($"Security:ApiKeys:{i}", line)).ToList();
        if (ApiKeyFile is { } file)
        {
            if (!File.Exists(file))
            {
                yield return new ValidationResult($"Security:ApiKeyFile '{file}' does not exist.", [nameof(ApiKeyFile)]);
            }
            else
            {
                lines.AddRange(FileLines(File.ReadAllLines(file)));
            }
        }
        TryParseKeys(lines, out var keys, out var problems);
        _keys.AddRange(keys);
        foreach (var problem in problems)
        {
            yield return new ValidationResult(problem, [nameof(ApiKeys)]);
        }
        if (ApiKeyFileCheckInterval < TimeSpan.FromMilliseconds(100) || ApiKeyFileCheckInterval > TimeSpan.FromHours(1))
        {
            yield return new ValidationResult("Security:ApiKeyFileCheckInterval must lie in [00:00:00.1, 01:00:00].", [nameof(ApiKeyFileCheckInterval)]);
        }
        if (DashboardSession < TimeSpan.FromMinutes(1) || DashboardSession > TimeSpan.FromHours(12))
        {
            yield return new ValidationResult("Security:DashboardSession must lie in [00:01:00, 12:00:00].", [nameof(DashboardSession)]);
        }
        foreach (var result in Jwt.Validate())
        {
            yield return result;
        }
        foreach (var result in ClusterTls.Validate())
        {
            yield return result;
        }
    }

    /// <summary>A key file's lines worth parsing (blank lines and # comments skipped), each with where it is.</summary>
    internal static IEnumerable<(string Where, string Line)> FileLines(IEnumerable<string> lines) =>
        lines.Select((line, i) => ($"Security:ApiKeyFile line {i + 1}", line.Trim()))
            .Where(l => l.Item2.Length > 0 && !l.Item2.StartsWith('#'));

    /// <summary>Parses key lines; false with one problem per bad or repeated line (the good ones are still returned).</summary>
    internal static bool TryParseKeys(IEnumerable<(string Where, string Line)> lines, out List<ApiKeyEntry> keys, out List<string> problems)
    {
        keys = [];
        problems = [];
        foreach (var (where, line) in lines)
        {
            if (!ApiKeyFormat.TryParse(line, out var entry, out var problem)) problems.Add($"{where} {problem}.");
            else if (keys.Any(k => k.Sha256 == entry!.Sha256)) problems.Add($"{where} repeats a key configured earlier.");
            else keys.Add(entry!);
        }
        return problems.Count == 0;
    }
}

/// <summary>JWT bearer tokens (<c>Security:Jwt</c>): an OpenID Connect authority, or an issuer with a symmetric key.</summary>
public sealed class JwtSettings
{
    /// <summary>OpenID Connect authority whose discovery document gives the issuer and signing keys.</summary>
    public string? Authority { get; set; }

    /// <summary>The expected <c>iss</c>; required with <see cref="SigningKey"/>.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c>; required whenever JWT is on.</summary>
    public string? Audience { get; set; }

    /// <summary>Base64 of an HMAC-SHA256 key of at least 32 bytes (HS256 tokens); from the environment, not a file in the repo.</summary>
    public string? SigningKey { get; set; }

    /// <summary>The claim naming the user a token is bound to; a token without it is unbound.</summary>
    public string UserClaim { get; set; } = "sub";

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The authority's metadata over HTTPS only (turn off for a local test authority).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    public bool IsEnabled => !string.IsNullOrWhiteSpace(Authority) || !string.IsNullOrWhiteSpace(SigningKey);

    internal IEnumerable<ValidationResult> Validate()
    {
        // Nested objects' attributes are not checked by the validator, so the rules are spelt out here.
        if (string.IsNullOrWhiteSpace(UserClaim))
        {
            yield return new ValidationResult("Security:Jwt:UserClaim must not be empty (default: sub).");
        }
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(10))
        {
            yield return new ValidationResult("Security:Jwt:ClockSkew must lie in [00:00:00, 00:10:00].");
        }
        if (!IsEnabled) yield break;
        if (string.IsNullOrWhiteSpace(Audience))
        {
            yield return new ValidationResult("Security:Jwt:Audience is required when Security:Jwt:Authority or Security:Jwt:SigningKey is set.");
        }
        if (!string.IsNullOrWhiteSpace(SigningKey))
        {
            if (string.IsNullOrWhiteSpace(Issuer))
            {
                yield return new ValidationResult("Security:Jwt:Issuer is required with Security:Jwt:SigningKey.");
            }
            if (SigningKeyBytes() is not { Length: >= 32 })
            {
                yield return new ValidationResult("Security:Jwt:SigningKey must be base64 of at least 32 bytes (e.g. `openssl rand -base64 32`).");
            }
        }
    }

    internal byte[]? SigningKeyBytes()
    {
        var buffer = new byte[SigningKey?.Length ?? 0];
        return SigningKey is not null && Convert.TryFromBase64String(SigningKey, buffer, out var written) ? buffer[..written] : null;
    }
}

/// <summary>TLS on Orleans' silo and gateway ports (<c>Security:ClusterTls</c>), off unless a certificate is given.</summary>
public sealed class ClusterTlsSettings
{
    /// <summary>A PKCS#12 (.pfx) file with the certificate and its private key; every silo and API tier presents it.</summary>
    public string? CertificateFile { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Accept a peer whose certificate chains to a trusted root. Off by default: a peer must present the very
    /// certificate this host has (a cluster-wide, possibly self-signed, certificate), compared by SHA-256 thumbprint.
    /// </summary>
    public bool TrustChain { get; set; }

    public bool IsEnabled => !string.IsNullOrWhiteSpace(CertificateFile);

    internal IEnumerable<ValidationResult> Validate()
    {
        if (IsEnabled && !File.Exists(CertificateFile))
        {
            yield return new ValidationResult($"Security:ClusterTls:CertificateFile '{CertificateFile}' does not exist.");
        }
    }
}
