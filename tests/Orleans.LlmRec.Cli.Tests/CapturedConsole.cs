using Spectre.Console;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>
/// Runs a command with the process-wide <see cref="AnsiConsole.Console"/> swapped for a wide, colourless writer and
/// returns its exit code and text. Tests that use it share <see cref="ConsoleCaptureCollection"/>, so none runs while
/// another holds the console.
/// </summary>
internal static class CapturedConsole
{
    public static async Task<(int Code, string Output)> RunAsync(Func<Task<int>> command)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 400;
        var previous = AnsiConsole.Console;
        AnsiConsole.Console = console;
        try
        {
            var code = await command();
            return (code, writer.ToString());
        }
        finally
        {
            AnsiConsole.Console = previous;
        }
    }
}
