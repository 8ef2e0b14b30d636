using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Offline.Hosting;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// <c>llmrec augment</c>: LLMRec's graph augmentation, offline. Per user, the LLM picks one liked and one disliked item
/// among a base model's top candidates; the pairs go to a JSON Lines triples file with provenance, and the side text
/// the prompts used (profiles, item descriptions; imported or LLM-written) to a side file beside it.
/// </summary>
internal static class AugmentCommand
{
    private const string Simulated = "simulated-tfidf";

    public static Command Create()
    {
        var data = CliOptions.Data();
        var format = CliOptions.Format();
        var modelDirectory = new Option<string>("--model-dir") { Description = "Base model directory from llmrec train (trained on this data set).", Required = true };
        var candidates = new Option<int>("--candidates") { Description = "Base-model candidates shown per user.", DefaultValueFactory = _ => 10 };
        var output = new Option<string>("--out") { Description = "Triples file to write (JSON Lines).", Required = true };
        var users = new Option<int?>("--users") { Description = "Augment only the first N users (in data-set order)." };
        var history = new Option<int>("--history") { Description = "History items shown per user (highest rated first).", DefaultValueFactory = _ => 20 };
        var holdout = new Option<string?>("--holdout")
        {
            Description = "Build histories and candidates from this protocol's training split (same --seed), to match a base model trained with llmrec train --holdout and keep test items out of the prompts.",
        };
        holdout.AcceptOnlyFromAmong([.. EvaluationProtocols.Names.Where(n => n != "cv")]);
        var seed = CliOptions.Seed();
        var profiles = new Option<string?>("--profiles") { Description = "Import user profiles (CSV userId,preferences) into the side file and prompts." };
        var descriptions = new Option<string?>("--descriptions") { Description = "Import item descriptions (CSV movieId,description) into the side file and prompts." };
        var side = new Option<string?>("--side") { Description = "Side file to write (default: the triples file with .side.jsonl)." };
        var generateProfiles = new Option<bool>("--generate-profiles") { Description = "Have the LLM write a structured profile (liked/disliked genres, themes, directors, languages, summary) for each augmented user who has none (LLMRec's user profiling)." };
        var generateAttributes = new Option<bool>("--generate-attributes") { Description = "Have the LLM write attributes (genres, themes, director, language, country) for every item the prompts show that has none (LLMRec's item-attribute enhancement)." };
        var attributeBatch = new Option<int>("--attribute-batch") { Description = "Items per attribute call.", DefaultValueFactory = _ => 10 };
        var chooser = new Option<string>("--chooser")
        {
            Description = $"Who picks the pair: llm, or {Simulated} (an offline, deterministic stand-in: best/worst TF-IDF match of profile and item text; a simulation, not an LLM result).",
            DefaultValueFactory = _ => "llm",
        };
        chooser.AcceptOnlyFromAmong("llm", Simulated);
        var endpoint = new Option<string?>("--endpoint") { Description = "OpenAI-compatible base address including /v1 (default: Llm__Endpoint)." };
        var llmModel = new Option<string?>("--model") { Description = "LLM model or deployment name (default: Llm__Model, else llama3.1:8b)." };
        var keyVariable = new Option<string?>("--api-key-env") { Description = "Name of the environment variable holding the API key (default: LLMREC_LLM_API_KEY)." };

        var command = new Command("augment", "LLMRec augmentation: per user, an LLM picks a liked and a disliked item among the base model's candidates; writes BPR triples with provenance.")
        {
            data, format, modelDirectory, candidates, output, users, history, holdout, seed, profiles, descriptions, side, generateProfiles, generateAttributes, attributeBatch, chooser, endpoint, llmModel, keyVariable,
        };
        command.SetAction((result, cancellationToken) => ConsoleUi.RunAsync(async ct =>
        {
            var candidateCount = result.GetValue(candidates);
            if (candidateCount < 2) throw new CliUsageException("--candidates must be at least 2.");
            if (result.GetValue(users) is < 1) throw new CliUsageException("--users must be positive.");
            var dataset = ConsoleUi.LoadDataset(result.GetValue(data)!, result.GetValue(format)!);
            var (model, modelUsers, modelItems, manifest) = ModelDirectory.Load(result.GetValue(modelDirectory)!);
            if (modelUsers.Checksum() != dataset.Users.Checksum() || modelItems.Checksum() != dataset.Items.Checksum())
            {
                throw new CliUsageException($"The model in {result.GetValue(modelDirectory)} was trained on another data set ({manifest.Dataset}); train it on {dataset.Name} first.");
            }
            var known = dataset;
            if (result.GetValue(holdout) is { } protocolName)
            {
                known = dataset.WithInteractions(EvaluationProtocols.Parse(protocolName).Split(dataset.Interactions, result.GetValue(seed)).Train);
            }

            var sideEntries = new List<SideEntry>();
            if (result.GetValue(profiles) is { } profilePath) sideEntries.AddRange(AugmentationSideFile.Imported(SideEntryKind.User, ItemTextLoader.ReadPreferences(profilePath), profilePath));
            if (result.GetValue(descriptions) is { } descriptionPath) sideEntries.AddRange(AugmentationSideFile.Imported(SideEntryKind.Item, ItemTextLoader.ReadDescriptions(descriptionPath), descriptionPath));

            var knownMatrix = known.ToMatrix();
            var selected = Enumerable.Range(0, dataset.UserCount).Where(u => knownMatrix.UserDegree(u) > 0);
            if (result.GetValue(users) is { } limit) selected = selected.Take(limit);
            var selectedUsers = selected.ToArray();

            var useLlm = result.GetValue(chooser) == "llm";
            var writeAttributes = result.GetValue(generateAttributes);
            var writeProfiles = result.GetValue(generateProfiles);
            if (result.GetValue(attributeBatch) < 1) throw new CliUsageException("--attribute-batch must be positive.");
            await using var services = useLlm || writeProfiles || writeAttributes
                ? LlmServices(result.GetValue(endpoint), result.GetValue(llmModel), result.GetValue(keyVariable))
                : null;
            var historyCount = result.GetValue(history);
            if (writeAttributes)
            {
                // The items the prompts will show: every selected user's history and candidates.
                var haveAttributes = AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.ItemAttributes);
                var descriptionsById = AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.Item);
                var items = AugmentationInputs.ItemsToDescribe(AugmentationInputs.Build(known, model, selectedUsers, candidateCount, historyCount), haveAttributes, descriptionsById);
                var (entries, written) = await services!.GetRequiredService<SideTextAugmenter>().DescribeAllItemsAsync(items, result.GetValue(attributeBatch), ct);
                sideEntries.AddRange(entries);
                AnsiConsole.MarkupLineInterpolated($"LLM item attributes: {written.Written:N0} of {written.Requested:N0} items written, {written.Failed:N0} calls failed, {written.UnknownIds:N0} unknown and {written.DuplicateIds:N0} repeated ids dropped, {written.Missing:N0} items unanswered; {written.InputTokens:N0} input / {written.OutputTokens:N0} output tokens");
            }
            var itemTexts = AugmentationSideFile.ItemTexts(sideEntries);
            if (writeProfiles)
            {
                var subjects = AugmentationInputs.ProfileSubjects(known, selectedUsers, historyCount, AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.User), itemTexts);
                var (entries, written) = await services!.GetRequiredService<SideTextAugmenter>().ProfileUsersAsync(subjects, ct);
                sideEntries.AddRange(entries);
                AnsiConsole.MarkupLineInterpolated($"LLM profiles: {written.Written:N0} written, {written.Failed:N0} failed; {written.InputTokens:N0} input / {written.OutputTokens:N0} output tokens");
            }

            var inputs = AugmentationInputs.Build(known, model, selectedUsers, candidateCount, historyCount,
                AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.User), itemTexts);
            var triplesPath = result.GetValue(output)!;
            var sidePath = result.GetValue(side) ?? Path.ChangeExtension(triplesPath, ".side.jsonl");
            await AugmentationSideFile.WriteAsync(sidePath, sideEntries, ct);

            var watch = Stopwatch.StartNew();
            AugmentationSummary summary;
            await using (var writer = AugmentedTripleFile.CreateWriter(triplesPath))
            {
                summary = useLlm
                    ? await services!.GetRequiredService<GraphAugmenter>().AugmentAsync(inputs, writer, null, ct)
                    : await ProfileMatchAugmenter.AugmentAsync(inputs, writer, null, ct);
            }
            var who = useLlm ? $"LLM {services!.GetRequiredService<Microsoft.Extensions.Options.IOptions<LlmOptions>>().Value.Model}" : $"{ProfileMatchAugmenter.ModelName} (a simulation, not an LLM)";
            AnsiConsole.MarkupLineInterpolated($"Augmented {summary.Users:N0} users with {who} in {watch.Elapsed.TotalSeconds:F1} s: {summary.Triples:N0} triples, {summary.Failed:N0} failed, {summary.Skipped:N0} skipped; {summary.InputTokens:N0} input / {summary.OutputTokens:N0} output tokens");
            AnsiConsole.MarkupLineInterpolated($"Wrote {triplesPath} and {sideEntries.Count:N0} side entries to {sidePath}");
            return summary.Triples > 0 || summary.Users == 0 ? 0 : 1;
        }, cancellationToken));
        return command;
    }

    // The LLM layer as the silo wires it, plus the offline augmenters; options on the command line win over Llm__* environment variables.
    private static ServiceProvider LlmServices(string? endpoint, string? model, string? keyVariable)
    {
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var name = (string)variable.Key;
            if (name.StartsWith("Llm__", StringComparison.OrdinalIgnoreCase)) settings[name.Replace("__", ":", StringComparison.Ordinal)] = (string?)variable.Value;
        }
        if (endpoint is not null) settings["Llm:Endpoint"] = endpoint;
        if (model is not null) settings["Llm:Model"] = model;
        if (keyVariable is not null) settings["Llm:ApiKeyEnvironmentVariable"] = keyVariable;
        if (string.IsNullOrWhiteSpace(settings.GetValueOrDefault("Llm:Endpoint")))
        {
            throw new CliUsageException($"No LLM configured: pass --endpoint (or set Llm__Endpoint), or use --chooser {Simulated} for the offline simulation.");
        }
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddLlmRecOfflineLlm(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }
}
