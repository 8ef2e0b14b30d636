using System.CommandLine;
using System.Globalization;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Llm.Offline.Evaluation;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>The <c>llmrec eval</c> options that compare a base model with its LLM-layer variants (issue 5, offline).</summary>
internal sealed class LlmEvaluationOptions
{
    public Option<string?> Rerank { get; } = new("--rerank") { Description = "Also evaluate the base models re-ranked by this re-ranker: tfidf (profile-vs-description TF-IDF, the LLM's offline fallback)." };
    public Option<string?> Profiles { get; } = new("--profiles") { Description = "User preference profiles (CSV userId,preferences; e.g. ml-latest-small-llm/preferences.csv) for --rerank." };
    public Option<string?> Descriptions { get; } = new("--descriptions") { Description = "Item descriptions (CSV movieId,description) added to the item text the re-ranker reads." };
    public Option<float[]> Alpha { get; } = new("--alpha") { Description = "Fusion weight(s) of the re-ranker, 0..1 (1 = re-ranker order alone, as the paper).", DefaultValueFactory = _ => [0.5f], AllowMultipleArgumentsPerToken = true };
    public Option<int> RerankTop { get; } = new("--rerank-top") { Description = "Candidates re-ranked per user (the paper's search count).", DefaultValueFactory = _ => 100 };
    public Option<string?> Augmented { get; } = new("--augmented") { Description = "Augmented BPR triples (JSON Lines from llmrec augment): also evaluate bpr/lightgcn trained with them." };
    public Option<double> AugmentationRate { get; } = new("--aug-rate") { Description = "Augmented samples per batch as a share of the batch size.", DefaultValueFactory = _ => 0.1 };
    public Option<double> Prune { get; } = new("--prune") { Description = "Share of each batch's augmented samples with the largest loss dropped (LLMRec's noisy-edge pruning).", DefaultValueFactory = _ => 0.0 };
    public Option<string?> Side { get; } = new("--side") { Description = "Side file from llmrec augment (profiles, item attributes, descriptions; imported or LLM-written): its profiles and item text are used by --rerank, over --profiles and --descriptions." };
    public Option<int> Runs { get; } = new("--loo-runs") { Description = "paper-loo: independent random hold-outs (seeds seed, seed+1, …), counts pooled.", DefaultValueFactory = _ => 1 };

    public void AddTo(Command command)
    {
        Rerank.AcceptOnlyFromAmong("tfidf");
        foreach (var option in new Option[] { Rerank, Profiles, Descriptions, Alpha, RerankTop, Augmented, AugmentationRate, Prune, Side, Runs })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Whether this evaluation is one <see cref="LlmEvaluation"/> runs rather than the plain one.</summary>
    public bool Requested(ParseResult result, EvaluationProtocol protocol) =>
        protocol == EvaluationProtocol.PaperLeaveOneOut || result.GetValue(Rerank) is not null || result.GetValue(Augmented) is not null;
}

/// <summary>
/// <c>llmrec eval</c> with the LLM-layer arms: checks the options, reads profiles, side text and augmented triples,
/// runs <see cref="LlmLayerEvaluation"/> and prints its table.
/// </summary>
internal static class LlmEvaluation
{
    public static async Task<List<EvaluationRecord>> RunAsync(
        ParseResult result, LlmEvaluationOptions options, RatingsDataset dataset, EvaluationProtocol protocol, List<ModelKind> kinds,
        TrainerSettings settings, int[] ks, float? threshold, CancellationToken ct)
    {
        if (protocol == EvaluationProtocol.CrossValidation) throw new CliUsageException("--rerank, --augmented and paper-loo need a ranking protocol, not cv.");
        var alphas = result.GetValue(options.Alpha)!;
        if (alphas.Length == 0 || alphas.Any(a => !(a >= 0 && a <= 1))) throw new CliUsageException("--alpha must lie in [0, 1].");
        var rerankTop = result.GetValue(options.RerankTop);
        if (rerankTop < 1) throw new CliUsageException("--rerank-top must be positive.");
        var runs = result.GetValue(options.Runs);
        if (runs < 1 || (runs > 1 && protocol != EvaluationProtocol.PaperLeaveOneOut)) throw new CliUsageException("--loo-runs must be positive and only applies to paper-loo.");

        if (result.GetValue(options.Descriptions) is { } descriptions) dataset = ItemTextLoader.AttachDescriptions(dataset, descriptions);
        Dictionary<int, string> profiles = [];
        if (result.GetValue(options.Profiles) is { } profilePath)
        {
            foreach (var (userId, text) in ItemTextLoader.ReadPreferences(profilePath))
            {
                if (dataset.Users.TryGetIndex(userId, out var user)) profiles[user] = text;
            }
            AnsiConsole.MarkupLineInterpolated($"Profiles for {profiles.Count:N0} of {dataset.UserCount:N0} users from {profilePath}");
        }
        if (result.GetValue(options.Side) is { } sidePath)
        {
            var side = await AugmentationSideFile.ReadAllAsync(sidePath, ct);
            var itemTexts = AugmentationSideFile.ItemTexts(side);
            dataset = ItemTextLoader.WithDescriptions(dataset, itemTexts);
            var sideProfiles = 0;
            foreach (var (userId, text) in AugmentationSideFile.TextsOf(side, SideEntryKind.User))
            {
                if (dataset.Users.TryGetIndex(userId, out var user))
                {
                    profiles[user] = text;
                    sideProfiles++;
                }
            }
            var sources = string.Join(", ", side.Select(e => e.Source).Distinct().Order(StringComparer.Ordinal));
            AnsiConsole.MarkupLineInterpolated($"Side file {sidePath}: {sideProfiles:N0} profiles, text for {itemTexts.Count:N0} items (sources: {sources})");
        }
        var rerank = result.GetValue(options.Rerank);
        if (rerank is not null && profiles.Count == 0) throw new CliUsageException("--rerank needs --profiles.");

        BprAugmentation? augmentation = null;
        if (result.GetValue(options.Augmented) is { } augmentedPath)
        {
            var read = await AugmentedTripleFile.ReadAllAsync(augmentedPath, ct);
            var (triples, unknown) = AugmentationInputs.ToDense(dataset, read);
            augmentation = new BprAugmentation(triples) { SampleRate = result.GetValue(options.AugmentationRate), PruneFraction = result.GetValue(options.Prune) };
            var models = read.Select(t => t.Model).Distinct().Order();
            AnsiConsole.MarkupLineInterpolated($"Augmented triples: {triples.Length:N0} from {augmentedPath} (chosen by {string.Join(", ", models)}; {unknown} naming unknown ids left out)");
            if (kinds.Any(k => k is not (ModelKind.Bpr or ModelKind.LightGcn))) AnsiConsole.MarkupLine("[yellow]--augmented only changes bpr and lightgcn; other models are evaluated without it.[/]");
        }

        var arms = new LlmLayerArms
        {
            Profiles = profiles,
            RerankWithTfIdf = rerank is not null,
            Alphas = alphas,
            RerankTop = rerankTop,
            Augmentation = augmentation,
            Runs = runs,
        };
        var records = LlmLayerEvaluation.Run(dataset, protocol, kinds, settings, ks, threshold, arms, ConsoleUi.Train, line => AnsiConsole.MarkupLineInterpolated($"{line}"), ct)
            .Select(e => EvaluationRecord.From(e, dataset.Name, protocol.ToName(), ks[0], settings.Seed))
            .ToList();
        Print(dataset.Name, protocol, records, LlmLayerEvaluation.Cutoffs(protocol, ks));
        return records;
    }

    private static void Print(string dataset, EvaluationProtocol protocol, List<EvaluationRecord> records, IReadOnlyList<int> ks)
    {
        if (protocol != EvaluationProtocol.PaperLeaveOneOut)
        {
            ResultsTable.Print(dataset, protocol.ToName(), records.Select(r => (r.Model, (IReadOnlyDictionary<string, double>)r.Metrics, r.TrainingSeconds)), ks[0]);
            return;
        }
        var table = new Table().Title($"{dataset} · protocol paper-loo (hit rate over all held-out ratings; cumulative over those ≥ {PaperHitRate.DefaultThreshold:0.0})").Border(TableBorder.Rounded);
        table.AddColumn("model");
        foreach (var n in ks) table.AddColumn(new TableColumn($"HR@{n}").RightAligned());
        foreach (var n in ks) table.AddColumn(new TableColumn($"cHR@{n}").RightAligned());
        table.AddColumn(new TableColumn("cases").RightAligned());
        table.AddColumn(new TableColumn("≥4").RightAligned());
        foreach (var r in records)
        {
            var cells = new List<string> { r.Model };
            cells.AddRange(ks.Select(n => r.Metrics[$"hr@{n}"].ToString("F4", CultureInfo.InvariantCulture)));
            cells.AddRange(ks.Select(n => r.Metrics[$"chr@{n}"].ToString("F4", CultureInfo.InvariantCulture)));
            cells.Add(r.Metrics["cases"].ToString("F0", CultureInfo.InvariantCulture));
            cells.Add(r.Metrics["relevant_cases"].ToString("F0", CultureInfo.InvariantCulture));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }
}
