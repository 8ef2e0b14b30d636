using System.Net;

namespace Orleans.LlmRec.Silo.Security;

/// <summary>
/// Where Kestrel will listen, read from configuration the way Kestrel reads it (<c>Kestrel:Endpoints:*:Url</c>, else
/// <c>urls</c> — <c>--urls</c>, <c>ASPNETCORE_URLS</c>, appsettings' <c>Urls</c> —, else <c>http_ports</c>/<c>https_ports</c>
/// on every interface, else <c>http://localhost:5000</c>), so a host without access control can be refused before it
/// binds anything non-loopback.
/// </summary>
public static class BindAddresses
{
    public const string DefaultUrl = "http://localhost:5000";

    public static IReadOnlyList<string> Configured(IConfiguration configuration)
    {
        var endpoints = configuration.GetSection("Kestrel:Endpoints").GetChildren()
            .Select(e => e["Url"]).OfType<string>().Where(u => u.Length > 0).ToList();
        if (endpoints.Count > 0) return endpoints;
        if (configuration["urls"] is { Length: > 0 } urls)
        {
            return urls.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        }
        var ports = new[] { ("http", configuration["http_ports"]), ("https", configuration["https_ports"]) }
            .Where(p => !string.IsNullOrWhiteSpace(p.Item2))
            .SelectMany(p => p.Item2!.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(port => $"{p.Item1}://*:{port}"))
            .ToList();
        return ports.Count > 0 ? ports : [DefaultUrl];
    }

    /// <summary>
    /// True for <c>localhost</c>, loopback IPs and Unix sockets; false for wildcards (<c>*</c>, <c>+</c>, <c>0.0.0.0</c>,
    /// <c>[::]</c>), other addresses and other host names (Kestrel binds those on every interface).
    /// </summary>
    public static bool IsLoopback(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        if (rest.StartsWith("unix:", StringComparison.OrdinalIgnoreCase)) return true;
        string host;
        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']');
            host = close > 0 ? rest[1..close] : rest;
        }
        else
        {
            var end = rest.IndexOfAny([':', '/']);
            host = end >= 0 ? rest[..end] : rest;
        }
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase)) return true;
        return IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address);
    }

    /// <summary>The start-up rule: a host without access control listens on loopback only, unless told otherwise.</summary>
    public static IEnumerable<string> Check(IConfiguration configuration, SecurityOptions security)
    {
        if (security.IsConfigured || security.AllowAnonymous) yield break;
        var exposed = Configured(configuration).Where(u => !IsLoopback(u)).ToList();
        if (exposed.Count > 0)
        {
            yield return $"Refusing to serve {string.Join(", ", exposed)} without access control: anyone who reaches it could read and " +
                "overwrite every user's data. Configure Security:ApiKeys or Security:ApiKeyFile (`llmrec keys new`) or Security:Jwt " +
                "(SECURITY.md), listen on a loopback address, or set Security:AllowAnonymous=true to serve anonymously anyway.";
        }
    }
}
