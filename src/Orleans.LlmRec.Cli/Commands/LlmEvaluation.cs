using System.CommandLine;
using System.Globalization;
using Orleans.LlmRec.Llm.Augmentation;
using Orleans.LlmRec.Llm.Evaluation;
using Orleans.LlmRec.Llm.Reranking;
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
/// Base vs base + re-rank vs base + augmentation on one protocol. Every arm is scored on the same split. When profiles
/// are given, each arm is also scored "leak-checked": test items that were among the ten highest-rated movies each
/// profile was written from (<see cref="ProfileLeakCheck"/>) are left out of the relevant set for every arm alike.
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
        var leakSources = profiles.Count > 0 ? ProfileLeakCheck.SourceItems(dataset.Interactions) : null;

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

        var paperLoo = protocol == EvaluationProtocol.PaperLeaveOneOut;
        var cutoffs = paperLoo ? PaperHitRate.DefaultCutoffs.Union(ks).Order().ToArray() : ks;
        var arms = new Dictionary<string, ArmResult>(StringComparer.Ordinal);
        var armOrder = new List<string>();
        for (var run = 0; run < runs; run++)
        {
            var seed = settings.Seed + run;
            var split = protocol.Split(dataset.Interactions, seed);
            var train = dataset.WithInteractions(split.Train);
            var matrix = train.ToMatrix();
            var checkedTest = leakSources is null ? null : ProfileLeakCheck.WithoutSources(split.Test, leakSources);
            AnsiConsole.MarkupLineInterpolated($"Split {protocol.ToName()} (seed {seed}): {split.Train.Length:N0} train, {split.Test.Length:N0} test interactions{(checkedTest is null ? "" : $", {checkedTest.Length:N0} after the leak check")}");
            foreach (var kind in kinds)
            {
                ct.ThrowIfCancellationRequested();
                var runSettings = settings with { Seed = seed };
                var (model, seconds) = ConsoleUi.Train(TrainerCatalog.Create(kind, runSettings), train, ct);
                var variants = new List<(string Name, UserScorer Scorer, double Seconds, EmbeddingModel Model)> { (kind.ToName(), model.ScoreAll, seconds, model) };
                if (rerank is not null)
                {
                    foreach (var alpha in alphas)
                    {
                        var reRanker = new ReRankedRecommender(train, matrix, model.ScoreAll, new TfIdfReranker(rerankTop), profiles, rerankTop, alpha);
                        variants.Add(($"{kind.ToName()}+tfidf(a={alpha.ToString(CultureInfo.InvariantCulture)},top={rerankTop})", reRanker.Score, seconds, model));
                    }
                }
                if (augmentation is not null && kind is ModelKind.Bpr or ModelKind.LightGcn)
                {
                    var (augmented, augmentedSeconds) = ConsoleUi.Train(TrainerCatalog.Create(kind, runSettings with { Augmentation = augmentation }), train, ct);
                    variants.Add(($"{kind.ToName()}+aug(rate={augmentation.SampleRate.ToString(CultureInfo.InvariantCulture)},prune={augmentation.PruneFraction.ToString(CultureInfo.InvariantCulture)})", augmented.ScoreAll, augmentedSeconds, augmented));
                }
                foreach (var (name, scorer, trainSeconds, trained) in variants)
                {
                    Record(arms, armOrder, name, trainSeconds, trained, paperLoo
                        ? Loo(scorer, dataset.ItemCount, matrix, split.Test, cutoffs, null)
                        : Ranking(scorer, dataset.ItemCount, matrix, split.Test, ks, threshold));
                    if (leakSources is not null)
                    {
                        Record(arms, armOrder, name + " (leak-checked)", trainSeconds, trained, paperLoo
                            ? Loo(scorer, dataset.ItemCount, matrix, split.Test, cutoffs, x => !leakSources.Contains((x.User, x.Item)))
                            : Ranking(scorer, dataset.ItemCount, matrix, checkedTest!, ks, threshold));
                    }
                }
            }
        }

        var records = armOrder.Select(name => arms[name].ToRecord(dataset.Name, protocol, name, ks[0], settings.Seed)).ToList();
        Print(dataset.Name, protocol, records, paperLoo ? cutoffs : ks);
        return records;
    }

    private sealed class ArmResult
    {
        public HitRateReport? Hits { get; set; }
        public (RankingReport Report, int Test)? Ranking { get; set; }
        public double Seconds { get; set; }
        public Dictionary<string, double> Parameters { get; set; } = [];

        public EvaluationRecord ToRecord(string dataset, EvaluationProtocol protocol, string name, int k, int seed) => new()
        {
            Dataset = dataset,
            Protocol = protocol.ToName(),
            Model = name,
            K = k,
            Seed = seed,
            Metrics = Hits?.ToDictionary() ?? Ranking!.Value.Report.ToDictionary(),
            TrainingSeconds = Seconds,
            EvaluatedUsers = Hits?.Cases ?? Ranking!.Value.Report.EvaluatedUsers,
            TestInteractions = Hits?.Cases ?? Ranking!.Value.Test,
            Parameters = Parameters,
        };
    }

    private static void Record(Dictionary<string, ArmResult> arms, List<string> order, string name, double seconds, EmbeddingModel model, object outcome)
    {
        if (!arms.TryGetValue(name, out var arm))
        {
            arms[name] = arm = new ArmResult { Parameters = new Dictionary<string, double>(model.Parameters) };
            order.Add(name);
        }
        arm.Seconds += seconds;
        switch (outcome)
        {
            case HitRateReport hits:
                arm.Hits = arm.Hits is null ? hits : arm.Hits.Plus(hits);
                break;
            case ValueTuple<RankingReport, int> ranking:
                arm.Ranking = ranking;
                break;
        }
    }

    private static HitRateReport Loo(UserScorer scorer, int itemCount, InteractionMatrix train, Interaction[] heldOut, int[] cutoffs, Func<Interaction, bool>? include) =>
        PaperHitRate.Evaluate(PaperHitRate.FromScorer(scorer, itemCount, train), train, heldOut, cutoffs, PaperHitRate.DefaultThreshold, include);

    private static (RankingReport, int) Ranking(UserScorer scorer, int itemCount, InteractionMatrix train, Interaction[] test, int[] ks, float? threshold) =>
        (RankingEvaluator.Evaluate(scorer, itemCount, train, test, new RankingEvaluationOptions { Ks = ks, RelevanceThreshold = threshold ?? float.NegativeInfinity }), test.Length);

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
