using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.LlmRec.Llm;
using Orleans.LlmRec.Llm.Augmentation;
using Orleans.LlmRec.Llm.Hosting;
using Orleans.LlmRec.Llm.Profiles;
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
        var generateProfiles = new Option<bool>("--generate-profiles") { Description = "Have the LLM write a profile for each augmented user who has none (LLMRec's user profiling)." };
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
            data, format, modelDirectory, candidates, output, users, history, holdout, seed, profiles, descriptions, side, generateProfiles, chooser, endpoint, llmModel, keyVariable,
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
            await using var services = useLlm || result.GetValue(generateProfiles)
                ? LlmServices(result.GetValue(endpoint), result.GetValue(llmModel), result.GetValue(keyVariable))
                : null;
            if (result.GetValue(generateProfiles))
            {
                sideEntries.AddRange(await WriteProfilesAsync(services!, known, selectedUsers, AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.User), ct));
            }

            var inputs = AugmentationInputs.Build(known, model, selectedUsers, candidateCount, result.GetValue(history),
                AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.User), AugmentationSideFile.TextsOf(sideEntries, SideEntryKind.Item));
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

    // The LLM layer as the silo wires it; options on the command line win over Llm__* environment variables.
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
        services.AddLlmRecLlm(configuration);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
    }

    private static async Task<List<SideEntry>> WriteProfilesAsync(ServiceProvider services, RatingsDataset known, int[] users, IReadOnlyDictionary<string, string> existing, CancellationToken ct)
    {
        var writer = services.GetRequiredService<IProfileWriter>();
        var source = "llm:" + services.GetRequiredService<Microsoft.Extensions.Options.IOptions<LlmOptions>>().Value.Model;
        var byUser = known.Interactions.ToLookup(x => x.User);
        var written = new List<SideEntry>();
        var failed = 0;
        foreach (var user in users)
        {
            var userId = known.Users.GetExternalId(user);
            if (existing.ContainsKey(userId)) continue;
            ItemInfo Info(Interaction x) => known.ItemInfo.TryGetValue(x.Item, out var info) ? info : new ItemInfo(known.Items.GetExternalId(x.Item), known.Items.GetExternalId(x.Item), null, []);
            var top = byUser[user].OrderByDescending(x => x.Rating).ThenByDescending(x => x.Timestamp).Take(20).Select(Info).ToArray();
            var recent = byUser[user].OrderByDescending(x => x.Timestamp).Take(20).Select(Info).ToArray();
            var profile = await writer.WriteProfileAsync(new ProfileRequest(userId, top, recent, null), ct);
            if (profile is { Succeeded: true, Source: ProfileSource.Llm, Text: { } text }) written.Add(new SideEntry(SideEntryKind.User, userId, text, source));
            else failed++;
        }
        AnsiConsole.MarkupLineInterpolated($"LLM profiles: {written.Count:N0} written, {failed:N0} failed");
        return written;
    }
}
