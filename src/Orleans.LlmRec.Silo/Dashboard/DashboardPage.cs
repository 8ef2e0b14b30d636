namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// The dashboard's static files (Dashboard/Page/*, embedded in this assembly: no CDN, no wwwroot to deploy), read once.
/// </summary>
public static class DashboardPage
{
    private static readonly Dictionary<string, (byte[] Bytes, string ContentType)> Files = Load();

    public static IResult Serve(string name) =>
        Files.TryGetValue(name, out var file) ? TypedResults.Bytes(file.Bytes, file.ContentType) : TypedResults.NotFound();

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(DashboardPage).Assembly;
        var files = new Dictionary<string, (byte[], string)>(StringComparer.Ordinal);
        foreach (var name in new[] { "index.html", "dashboard.js", "dashboard.css", "login.html", "login.js" })
        {
            using var stream = assembly.GetManifestResourceStream($"Dashboard.Page.{name}")
                ?? throw new InvalidOperationException($"The dashboard page file {name} is not embedded.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[name] = (copy.ToArray(), ContentType(name));
        }
        return files;
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        _ => "text/css; charset=utf-8",
    };
}
