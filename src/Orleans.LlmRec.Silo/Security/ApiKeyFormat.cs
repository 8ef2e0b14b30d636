using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>An API key as configuration holds it: its SHA-256, the scopes it grants, and the user it is bound to, if any.</summary>
/// <param name="Sha256">Lower-case hex SHA-256 of the key's UTF-8 text.</param>
/// <param name="Name">A label for logs and the rate limiter (not secret); defaults to the first 8 hex digits of the hash.</param>
public sealed record ApiKeyEntry(string Sha256, IReadOnlyList<string> Scopes, string? UserId, string Name);

/// <summary>
/// How API keys are made, hashed and written down. Configuration holds one line per key,
/// <c>sha256=HEX;scopes=feeds:read,events:write;user=USER;name=NAME</c> (user and name optional, percent-encoded),
/// never the key itself. A key is 32 random bytes, so an unsalted SHA-256 is enough: there is nothing to guess.
/// Compiled into the silo and, linked, into the CLI (<c>llmrec keys new</c>), so both speak the same format.
/// </summary>
public static class ApiKeyFormat
{
    public const string Prefix = "llmrec_";
    private const int KeyBytes = 32;

    /// <summary>A fresh key: <c>llmrec_</c> and 32 random bytes, base64url.</summary>
    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(KeyBytes));

    /// <summary>Lower-case hex SHA-256 of the key's UTF-8 text.</summary>
    public static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    /// <summary>The configuration line for a key (the key itself is not in it).</summary>
    public static string Line(string key, IEnumerable<string> scopes, string? userId, string? name)
    {
        var line = new StringBuilder($"sha256={Hash(key)};scopes={string.Join(',', scopes)}");
        if (!string.IsNullOrEmpty(userId)) line.Append(";user=").Append(Uri.EscapeDataString(userId));
        if (!string.IsNullOrEmpty(name)) line.Append(";name=").Append(Uri.EscapeDataString(name));
        return line.ToString();
    }

    /// <summary>Parses one line; <paramref name="problem"/> says what is wrong (without repeating the line, which may be a key pasted by mistake).</summary>
    public static bool TryParse(string line, out ApiKeyEntry? entry, out string? problem)
    {
        entry = null;
        string? hash = null, user = null, name = null;
        List<string>? scopes = null;
        foreach (var part in line.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0)
            {
                problem = part.StartsWith(Prefix, StringComparison.Ordinal)
                    ? "holds a key, not its hash: configure the line `llmrec keys new` printed (sha256=...;scopes=...)"
                    : "has a part without '=' (expected sha256=HEX;scopes=a,b;user=U;name=N)";
                return false;
            }
            var (field, value) = (part[..equals].Trim().ToLowerInvariant(), part[(equals + 1)..].Trim());
            switch (field)
            {
                case "sha256": hash = value.ToLowerInvariant(); break;
                case "scopes": scopes = [.. value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)]; break;
                case "user": user = Uri.UnescapeDataString(value); break;
                case "name": name = Uri.UnescapeDataString(value); break;
                default:
                    problem = $"has an unknown field '{field}' (known: sha256, scopes, user, name)";
                    return false;
            }
        }
        if (hash is null || hash.Length != 64 || !hash.All(Uri.IsHexDigit))
        {
            problem = "needs sha256= followed by 64 hex digits";
            return false;
        }
        if (scopes is not { Count: > 0 })
        {
            problem = $"needs scopes= with at least one of {string.Join(", ", ApiScopes.All)}";
            return false;
        }
        if (scopes.FirstOrDefault(s => !ApiScopes.IsKnown(s)) is { } unknown)
        {
            problem = $"has an unknown scope '{unknown}' (known: {string.Join(", ", ApiScopes.All)})";
            return false;
        }
        if (user is { Length: 0 })
        {
            problem = "has an empty user=";
            return false;
        }
        entry = new ApiKeyEntry(hash, scopes.Distinct(StringComparer.Ordinal).ToList(), user, string.IsNullOrWhiteSpace(name) ? hash[..8] : name);
        problem = null;
        return true;
    }
}
