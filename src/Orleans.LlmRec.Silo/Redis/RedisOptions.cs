using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Redis;

/// <summary>
/// Credentials and TLS for the host's Redis connection (configuration section <c>Redis</c>), kept apart from
/// <c>Silo:RedisConnectionString</c> so the password can come from its own environment variable or secret. Each,
/// when set, overrides the same setting in the connection string.
/// </summary>
public sealed class RedisOptions : IValidatableObject
{
    public const string SectionName = "Redis";

    /// <summary>ACL user (Redis 6+); unset = the default user.</summary>
    public string? User { get; set; }

    /// <summary>The password (<c>requirepass</c> or the ACL user's); e.g. from <c>Redis__Password</c>.</summary>
    public string? Password { get; set; }

    /// <summary>Connect over TLS.</summary>
    public bool Tls { get; set; }

    /// <summary>The name the server's certificate must carry, when it differs from the host in the connection string.</summary>
    public string? TlsHost { get; set; }

    /// <summary>A PEM or DER file of the CA that signed the server's certificate (a private CA); unset = the system's roots.</summary>
    public string? TlsCaFile { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (TlsCaFile is { } ca && !File.Exists(ca))
        {
            yield return new ValidationResult($"Redis:TlsCaFile '{ca}' does not exist.", [nameof(TlsCaFile)]);
        }
        if (!Tls && (TlsHost is not null || TlsCaFile is not null))
        {
            yield return new ValidationResult("Redis:TlsHost and Redis:TlsCaFile need Redis:Tls=true.", [nameof(Tls)]);
        }
    }
}
