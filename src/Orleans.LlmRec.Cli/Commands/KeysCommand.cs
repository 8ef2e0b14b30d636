using System.CommandLine;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec keys new --scopes feeds:read,events:write [--user U] [--name N]</c>: a fresh API key and the configuration
/// line that grants it (its SHA-256, scopes, bound user). The key is printed once and stored nowhere (SECURITY.md).
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var scopes = new Option<string>("--scopes") { Description = $"Comma-separated scopes: {string.Join(", ", ApiScopes.All)}.", Required = true };
        var user = new Option<string?>("--user") { Description = "Bind the key to this user id: it may read only their feed and history and write only their preferences and events." };
        var name = new Option<string?>("--name") { Description = "A label for logs and rate limits (default: the first 8 hex digits of the key's hash)." };
        var plain = new Option<bool>("--plain") { Description = "Print only two lines, the key and the configuration line (for scripts)." };
        var create = new Command("new", "Make a new API key and print it with the configuration line that grants it.") { scopes, user, name, plain };
        create.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(_ =>
        {
            var granted = result.GetValue(scopes)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (granted.Length == 0 || granted.Any(s => !ApiScopes.IsKnown(s)))
            {
                throw new CliUsageException($"--scopes '{result.GetValue(scopes)}': takes one or more of {string.Join(", ", ApiScopes.All)}, comma-separated.");
            }
            var key = ApiKeyFormat.NewKey();
            var line = ApiKeyFormat.Line(key, granted.Distinct(StringComparer.Ordinal), result.GetValue(user), result.GetValue(name));
            if (result.GetValue(plain))
            {
                Console.Out.WriteLine(key);
                Console.Out.WriteLine(line);
                return Task.FromResult(0);
            }
            Console.Out.WriteLine($"API key (give it to the client; it is shown once and stored nowhere):{Environment.NewLine}  {key}");
            Console.Out.WriteLine($"Configuration line (holds only the key's SHA-256; add it to the service):{Environment.NewLine}  {line}");
            Console.Out.WriteLine("As a line of Security:ApiKeyFile, or in the environment as the next free index:");
            Console.Out.WriteLine($"  Security__ApiKeys__0='{line}'");
            Console.Out.WriteLine($"Clients send it as `{ApiKeyHeader}: <key>` (llmrec replay and llmrec-load read LLMREC_API_KEY).");
            return Task.FromResult(0);
        }, cancellationToken));
        return new Command("keys", "API keys for the service's access control (SECURITY.md).") { create };
    }

    private const string ApiKeyHeader = "X-Api-Key";
}
