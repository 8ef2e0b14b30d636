// The commands write through Spectre.Console's process-wide AnsiConsole, whose progress bars and status spinners share
// one static exclusivity lock: two commands running at once in this process (e.g. TrainCommandTests beside
// LlmCommandsTests' training) can make the second throw "Trying to run one or more interactive functions concurrently"
// (the likely cause of a one-off TrainCommandTests failure seen under load). ExportAndScoreCommandTests also swaps
// AnsiConsole.Console to read what `score` prints. So the classes of this assembly run one at a time (seconds in all).
[assembly: CollectionBehavior(DisableTestParallelization = true)]
