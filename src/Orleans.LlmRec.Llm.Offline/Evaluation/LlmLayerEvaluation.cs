using System.Globalization;
using Orleans.LlmRec.Llm.Reranking;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Llm.Offline.Evaluation;

/// <summary>The LLM-layer variants <see cref="LlmLayerEvaluation"/> compares with each base model.</summary>
public sealed record LlmLayerArms
{
    /// <summary>Profile text by dense user index. When any is given, every arm is also scored leak-checked.</summary>
    public IReadOnlyDictionary<int, string> Profiles { get; init; } = new Dictionary<int, string>();

    /// <summary>Also score each base model re-ranked by <see cref="TfIdfReranker"/> over <see cref="Profiles"/>, once per alpha.</summary>
    public bool RerankWithTfIdf { get; init; }

    /// <summary>Fusion weights of the re-ranker, each in [0, 1] (1 = re-ranker order alone, as the paper).</summary>
    public IReadOnlyList<float> Alphas { get; init; } = [0.5f];

    /// <summary>Candidates re-ranked per user (the paper's search count).</summary>
    public int RerankTop { get; init; } = 100;

    /// <summary>Augmented triples: BPR and LightGCN are also trained with them.</summary>
    public BprAugmentation? Augmentation { get; init; }

    /// <summary>Independent hold-outs (seeds seed, seed+1, …) whose counts are pooled; paper-loo only.</summary>
    public int Runs { get; init; } = 1;
}

/// <summary>
/// Base vs base + re-rank vs base + augmentation on one protocol (the LLM layer measured offline). Every arm is scored
/// on the same split. When profiles are given, each arm is also scored "leak-checked": test items that were among the
/// ten highest-rated movies each profile was written from (<see cref="ProfileLeakCheck"/>) are left out of the
/// relevant set for every arm alike. paper-loo arms are scored by hit rates, pooled over runs; the others by the
/// ranking metrics.
/// </summary>
public static class LlmLayerEvaluation
{
    /// <summary>The cut-offs the results carry: paper-loo adds the paper's HR@1/5/10 to <paramref name="ks"/>.</summary>
    public static int[] Cutoffs(EvaluationProtocol protocol, int[] ks) =>
        protocol == EvaluationProtocol.PaperLeaveOneOut ? [.. PaperHitRate.DefaultCutoffs.Union(ks).Order()] : ks;

    /// <summary>One result per arm, in the order the arms were first scored.</summary>
    /// <param name="report">Receives a line per split (its sizes), for the caller to show.</param>
    public static List<ModelEvaluation> Run(
        RatingsDataset dataset, EvaluationProtocol protocol, IReadOnlyList<ModelKind> kinds, TrainerSettings settings, int[] ks, float? threshold,
        LlmLayerArms arms, TrainingRun train, Action<string>? report = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(arms);
        ArgumentNullException.ThrowIfNull(train);
        if (protocol == EvaluationProtocol.CrossValidation) throw new ArgumentException("The LLM layer is measured by a ranking protocol, not cv.", nameof(protocol));
        var profiles = arms.Profiles;
        var leakSources = profiles.Count > 0 ? ProfileLeakCheck.SourceItems(dataset.Interactions) : null;
        var paperLoo = protocol == EvaluationProtocol.PaperLeaveOneOut;
        var cutoffs = Cutoffs(protocol, ks);
        var results = new ArmResults();
        for (var run = 0; run < arms.Runs; run++)
        {
            var seed = settings.Seed + run;
            var split = protocol.Split(dataset.Interactions, seed);
            var trainSet = dataset.WithInteractions(split.Train);
            var matrix = trainSet.ToMatrix();
            var checkedTest = leakSources is null ? null : ProfileLeakCheck.WithoutSources(split.Test, leakSources);
            report?.Invoke($"Split {protocol.ToName()} (seed {seed}): {split.Train.Length:N0} train, {split.Test.Length:N0} test interactions{(checkedTest is null ? "" : $", {checkedTest.Length:N0} after the leak check")}");
            foreach (var kind in kinds)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var runSettings = settings with { Seed = seed };
                var (model, seconds) = train(ModelTrainers.Create(kind, runSettings), trainSet, cancellationToken);
                var variants = new List<(string Name, UserScorer Scorer, double Seconds, EmbeddingModel Model)> { (kind.ToName(), model.ScoreAll, seconds, model) };
                if (arms.RerankWithTfIdf)
                {
                    foreach (var alpha in arms.Alphas)
                    {
                        var reRanker = new ReRankedRecommender(trainSet, matrix, model.ScoreAll, new TfIdfReranker(arms.RerankTop), profiles, arms.RerankTop, alpha);
                        variants.Add(($"{kind.ToName()}+tfidf(a={alpha.ToString(CultureInfo.InvariantCulture)},top={arms.RerankTop})", reRanker.Score, seconds, model));
                    }
                }
                if (arms.Augmentation is { } augmentation && kind is ModelKind.Bpr or ModelKind.LightGcn)
                {
                    var (augmented, augmentedSeconds) = train(ModelTrainers.Create(kind, runSettings with { Augmentation = augmentation }), trainSet, cancellationToken);
                    variants.Add(($"{kind.ToName()}+aug(rate={augmentation.SampleRate.ToString(CultureInfo.InvariantCulture)},prune={augmentation.PruneFraction.ToString(CultureInfo.InvariantCulture)})", augmented.ScoreAll, augmentedSeconds, augmented));
                }
                foreach (var (name, scorer, trainSeconds, trained) in variants)
                {
                    results.Add(name, trainSeconds, trained, paperLoo
                        ? Loo(scorer, dataset.ItemCount, matrix, split.Test, cutoffs, null)
                        : Ranking(scorer, dataset.ItemCount, matrix, split.Test, ks, threshold));
                    if (leakSources is not null)
                    {
                        results.Add(name + " (leak-checked)", trainSeconds, trained, paperLoo
                            ? Loo(scorer, dataset.ItemCount, matrix, split.Test, cutoffs, x => !leakSources.Contains((x.User, x.Item)))
                            : Ranking(scorer, dataset.ItemCount, matrix, checkedTest!, ks, threshold));
                    }
                }
            }
        }
        return results.ToList();
    }

    private static HitRateReport Loo(UserScorer scorer, int itemCount, InteractionMatrix train, Interaction[] heldOut, int[] cutoffs, Func<Interaction, bool>? include) =>
        PaperHitRate.Evaluate(PaperHitRate.FromScorer(scorer, itemCount, train), train, heldOut, cutoffs, PaperHitRate.DefaultThreshold, include);

    private static (RankingReport, int) Ranking(UserScorer scorer, int itemCount, InteractionMatrix train, Interaction[] test, int[] ks, float? threshold) =>
        (RankingEvaluator.Evaluate(scorer, itemCount, train, test, new RankingEvaluationOptions { Ks = ks, RelevanceThreshold = threshold ?? float.NegativeInfinity }), test.Length);

    // Each arm's outcome, pooled over runs: hit counts add up; a ranking report is that of the (only) run.
    private sealed class ArmResults
    {
        private readonly Dictionary<string, Arm> _arms = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        public void Add(string name, double seconds, EmbeddingModel model, object outcome)
        {
            if (!_arms.TryGetValue(name, out var arm))
            {
                _arms[name] = arm = new Arm { Parameters = new Dictionary<string, double>(model.Parameters) };
                _order.Add(name);
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

        // Train interactions are left 0: pooled over runs, no one split's count describes the row.
        public List<ModelEvaluation> ToList() => [.. _order.Select(name =>
        {
            var arm = _arms[name];
            return new ModelEvaluation(
                name,
                arm.Hits?.ToDictionary() ?? arm.Ranking!.Value.Report.ToDictionary(),
                arm.Seconds,
                arm.Hits?.Cases ?? arm.Ranking!.Value.Report.EvaluatedUsers,
                TrainInteractions: 0,
                arm.Hits?.Cases ?? arm.Ranking!.Value.Test,
                arm.Parameters);
        })];

        private sealed class Arm
        {
            public HitRateReport? Hits { get; set; }
            public (RankingReport Report, int Test)? Ranking { get; set; }
            public double Seconds { get; set; }
            public Dictionary<string, double> Parameters { get; set; } = [];
        }
    }
}
