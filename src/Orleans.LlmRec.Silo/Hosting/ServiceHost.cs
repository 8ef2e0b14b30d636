namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>How Program.cs creates its builder.</summary>
public static class ServiceHost
{
    /// <summary>
    /// The content root is the application's folder (<see cref="AppContext.BaseDirectory"/>), not the working directory
    /// ASP.NET Core uses by default: a published silo started from elsewhere (a service manager, a script in another
    /// folder) still reads the <c>appsettings.json</c> next to it, instead of starting with none (and logging Orleans
    /// at Information: 115 MB in two minutes). An explicit <c>--contentRoot</c>, or <c>DOTNET_CONTENTROOT</c> /
    /// <c>ASPNETCORE_CONTENTROOT</c>, still wins.
    /// </summary>
    public static WebApplicationOptions Options(string[] args) => new()
    {
        Args = args,
        ContentRootPath = ExplicitContentRoot(args) ?? AppContext.BaseDirectory,
    };

    private static string? ExplicitContentRoot(string[] args) =>
        new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build()[WebHostDefaults.ContentRootKey] is { Length: > 0 } root ? root : null;
}
