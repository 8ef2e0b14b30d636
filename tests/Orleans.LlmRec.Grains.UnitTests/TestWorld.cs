using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>
/// A small world with a known answer: items "1".."N" in <see cref="ClusterCount"/> clusters (item i is in cluster
/// (i-1) % ClusterCount), item vectors the one-hot cluster direction, and popularity falling with the item number
/// (item "1" is the most popular). A user who likes an item of cluster c should be shown cluster c first.
/// </summary>
internal static class TestWorld
{
    public const int ClusterCount = 5;

    public static int ClusterOf(string itemId) => (int.Parse(itemId, System.Globalization.CultureInfo.InvariantCulture) - 1) % ClusterCount;

    public static RatingsDataset Dataset(int itemCount = 40, int userCount = 30)
    {
        var items = new IdMap(Enumerable.Range(1, itemCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var users = new IdMap(Enumerable.Range(1, userCount).Select(u => $"u{u}"));
        var interactions = new List<Interaction>();
        for (var u = 0; u < userCount; u++)
        {
            // Item i is chosen by users u < userCount - i, so popularity strictly falls with i (until it reaches 0).
            for (var i = 0; i < itemCount; i++)
            {
                if (u < userCount - i) interactions.Add(new Interaction(u, i, 4f, 1_700_000_000 + u * 100 + i));
            }
        }
        var info = Enumerable.Range(0, itemCount).ToDictionary(i => i, i => new ItemInfo(items.GetExternalId(i), $"Item {i + 1}", 2000, [$"Cluster{i % ClusterCount}"]));
        return new RatingsDataset("test-world", users, items, interactions.ToArray(), info);
    }

    public static EmbeddingModel ClusterModel(int itemCount = 40, int userCount = 30, ModelKind kind = ModelKind.Bpr)
    {
        var model = new EmbeddingModel(kind, userCount, itemCount, ClusterCount);
        for (var i = 0; i < itemCount; i++)
        {
            model.ItemVector(i)[i % ClusterCount] = 1f;
        }
        return model;
    }

    public static ItemCatalogue Catalogue(RatingsDataset? dataset = null, int historyPerUser = 0)
    {
        dataset ??= Dataset();
        return ItemCatalogue.Build(dataset, dataset.Items, historyPerUser);
    }

    public static ModelSnapshot Served(EmbeddingModel? model = null, string version = "v1") => new(model ?? ClusterModel(), version);

    public static UserEvent Event(string eventId, string itemId, UserEventType type = UserEventType.Click, float? value = null, string userId = "u") => new()
    {
        EventId = eventId,
        UserId = userId,
        ItemId = itemId,
        Type = type,
        Value = value,
        Timestamp = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000),
    };

    public static OnnxModelInfo ModelInfo(ItemCatalogue catalogue, ModelSnapshot model) => new()
    {
        ContractVersion = OnnxContract.ContractVersion,
        Graph = OnnxScoringGraph.FullCatalogue,
        Kind = model.Kind,
        Version = model.Version,
        CreatedAt = DateTimeOffset.UnixEpoch,
        Dimension = model.Dimension,
        ItemCount = model.ItemCount,
        UserCount = model.Model.UserCount,
        ItemIdChecksum = catalogue.Checksum,
    };
}

/// <summary>An <see cref="IScorer"/> that scores with the embedding model in process, or fails on demand.</summary>
internal sealed class FakeScorer(ItemCatalogue catalogue, ModelSnapshot model) : IScorer
{
    public OnnxModelInfo Model { get; } = TestWorld.ModelInfo(catalogue, model);

    /// <summary>When set, every call throws it.</summary>
    public Exception? Failure { get; set; }

    /// <summary>When true, calls never complete (until cancelled).</summary>
    public bool Hang { get; set; }

    public List<ScoringRequest> Requests { get; } = [];

    public async Task<ScoringResult> ScoreAsync(ScoringRequest request, CancellationToken cancellationToken = default)
    {
        Requests.Add(request);
        if (Failure is not null) throw Failure;
        if (Hang) await Task.Delay(Timeout.Infinite, cancellationToken);
        var scores = new float[model.ItemCount];
        model.Model.ScoreAll(request.UserVector.Span, request.UserBias, scores);
        foreach (var excluded in request.ExcludedItems.Span) scores[excluded] = float.NegativeInfinity;
        if (request.Candidates is { } candidates)
        {
            // Only the candidates are scored (IScorer's contract), as the ONNX candidates graph does.
            var named = new HashSet<int>(candidates);
            for (var i = 0; i < scores.Length; i++) if (!named.Contains(i)) scores[i] = float.NegativeInfinity;
        }
        var best = Enumerable.Range(0, scores.Length)
            .Where(i => !float.IsNegativeInfinity(scores[i]))
            .OrderByDescending(i => scores[i]).ThenBy(i => i)
            .Take(request.K)
            .Select(i => new ScoredItem(i, scores[i]))
            .ToList();
        return new ScoringResult(best, Model.Version);
    }

    public async Task<IReadOnlyList<ScoringResult>> ScoreBatchAsync(IReadOnlyList<ScoringRequest> requests, CancellationToken cancellationToken = default)
    {
        var results = new List<ScoringResult>(requests.Count);
        foreach (var request in requests) results.Add(await ScoreAsync(request, cancellationToken));
        return results;
    }
}

/// <summary>An LLM layer that is simply on or off, with its circuit closed.</summary>
internal sealed class FixedStatus(bool enabled) : Orleans.LlmRec.Llm.ILlmStatus
{
    public bool IsEnabled => enabled;
    public bool IsAvailable => enabled;
    public Orleans.LlmRec.Llm.LlmCircuitState CircuitState => Orleans.LlmRec.Llm.LlmCircuitState.Closed;
    public string? Endpoint => enabled ? "http://llm/v1" : null;
    public string? Model => enabled ? "m" : null;
    public string Describe() => enabled ? "on" : "off";
}
