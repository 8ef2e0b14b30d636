using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Cli.Tests;

[Collection(ConsoleCaptureCollection.Name)]
public sealed class KeysCommandTests
{
    [Fact]
    public async Task Keys_new_prints_a_key_and_the_line_that_grants_it_without_the_key()
    {
        var (code, output) = await RunPlainAsync("keys", "new", "--scopes", "feeds:read,users:write", "--user", "u 1", "--plain");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        var (key, line) = (lines[0], lines[1]);
        Assert.StartsWith(ApiKeyFormat.Prefix, key, StringComparison.Ordinal);
        Assert.DoesNotContain(key, line, StringComparison.Ordinal);
        Assert.True(ApiKeyFormat.TryParse(line, out var entry, out var problem), problem);
        Assert.Equal(ApiKeyFormat.Hash(key), entry!.Sha256);
        Assert.Equal(["feeds:read", "users:write"], entry.Scopes);
        Assert.Equal("u 1", entry.UserId);
    }

    [Fact]
    public async Task Keys_new_refuses_an_unknown_scope()
    {
        var (code, output) = await CapturedConsole.RunAsync(() => Root().Parse(["keys", "new", "--scopes", "feeds:write"]).InvokeAsync());
        Assert.NotEqual(0, code);
        Assert.Contains("feeds:write", output, StringComparison.Ordinal);
    }

    private static RootCommand Root() => new() { KeysCommand.Create() };

    // --plain writes to Console.Out (no wrapping), not through Spectre.
    private static async Task<(int Code, string Output)> RunPlainAsync(params string[] args)
    {
        var writer = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(writer);
        try
        {
            var code = await Root().Parse(args).InvokeAsync();
            return (code, writer.ToString());
        }
        finally
        {
            Console.SetOut(previous);
        }
    }
}
