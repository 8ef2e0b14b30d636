using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;
using Spectre.Console;

// Tables wrap at 80 columns when output is redirected (CI logs, files); give them room.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 160);

var root = new RootCommand("llmrec: offline tools of Orleans.LlmRec — data, training, evaluation, export, scoring, LLM augmentation.")
{
    DataCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
    EvalColdCommand.Create(),
    ExportCommand.Create(),
    ScoreCommand.Create(),
    RecommendCommand.Create(),
    AugmentCommand.Create(),
    ReplayCommand.Create(),
    KeysCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
