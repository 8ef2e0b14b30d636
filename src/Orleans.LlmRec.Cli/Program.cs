using System.CommandLine;
using Orleans.LlmRec.Cli.Commands;

var root = new RootCommand("llmrec: offline tools of Orleans.LlmRec — data, training, evaluation.")
{
    DataCommand.Create(),
    TrainCommand.Create(),
    EvalCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
