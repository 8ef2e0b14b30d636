using System.Collections.Concurrent;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// A synthetic model of a given catalogue size, exported to ONNX in a temporary folder, with the same item table in
/// the layout the dot-product baseline reads. Only the shape matters for speed, so the weights are seeded random
/// numbers rather than a trained model: ml-latest-small contributes nothing but its item count.
/// </summary>
public sealed class BenchmarkCatalogue
{
    /// <summary>Items in ml-latest-small (movies.csv), the catalogue the service is built for.</summary>
    public const int MovieLensSmallItems = 9_742;

    /// <summary>The synthetic large catalogue.</summary>
    public const int LargeItems = 100_000;

    public const int Dimension = 64;
    public const int TopK = 20;

    /// <summary>
    /// Items excluded per request (already seen). ml-latest-small users have rated 165 movies on average and 70 at
    /// the median; 100 is in between, so the exclusion work is realistic for both the mask and the baseline.
    /// </summary>
    public const int ExcludedPerRequest = 100;

    private static readonly ConcurrentDictionary<int, BenchmarkCatalogue> Cache = new();
    private static readonly string Folder = Path.Combine(Path.GetTempPath(), $"llmrec-bench-{Environment.ProcessId}");

    private BenchmarkCatalogue(int itemCount, EmbeddingModel model, string onnxPath, DotProductScorer baseline)
    {
        ItemCount = itemCount;
        Model = model;
        OnnxPath = onnxPath;
        Baseline = baseline;
    }

    public int ItemCount { get; }
    public EmbeddingModel Model { get; }

    /// <summary>
    /// The exported full-catalogue graph, with the serving graph (contract 2, <see cref="ItemScoresPath"/>) beside it
    /// and no candidate sibling: only full-catalogue scoring is measured.
    /// </summary>
    public string OnnxPath { get; }

    /// <summary>The serving graph beside <see cref="OnnxPath"/>, which <c>OnnxScorer</c> uses for full-catalogue requests.</summary>
    public string ItemScoresPath => OnnxContract.ItemScoresPathFor(OnnxPath);

    public DotProductScorer Baseline { get; }

    /// <summary>Bytes the scoring work has to read per pass over the catalogue: the item matrix plus the item offsets.</summary>
    public long ItemTableBytes => (long)ItemCount * (Dimension + 1) * sizeof(float);

    /// <summary>Floating-point operations of the dot products for one user: a multiply and an add per item and dimension.</summary>
    public double FlopsPerUser => 2.0 * ItemCount * Dimension;

    /// <summary>The catalogue for <paramref name="itemCount"/> items, built and exported once per process.</summary>
    public static BenchmarkCatalogue Get(int itemCount) => Cache.GetOrAdd(itemCount, Create);

    /// <summary>Deletes the exported files of this process.</summary>
    public static void DeleteFiles()
    {
        if (Directory.Exists(Folder)) Directory.Delete(Folder, recursive: true);
    }

    /// <summary>
    /// Requests with seeded random user vectors, biases and <see cref="ExcludedPerRequest"/> distinct excluded items,
    /// so ONNX and the baseline score exactly the same work.
    /// </summary>
    public ScoringRequest[] CreateRequests(int count, int seed)
    {
        var random = new Random(seed);
        var requests = new ScoringRequest[count];
        for (var r = 0; r < count; r++)
        {
            var vector = new float[Dimension];
            for (var j = 0; j < Dimension; j++) vector[j] = Gaussian(random) * 0.3f;
            var excluded = new HashSet<int>();
            while (excluded.Count < Math.Min(ExcludedPerRequest, ItemCount - TopK)) excluded.Add(random.Next(ItemCount));
            requests[r] = new ScoringRequest(vector, Gaussian(random) * 0.1f, TopK) { ExcludedItems = excluded.ToArray() };
        }
        return requests;
    }

    /// <summary>Options for a scorer that runs each call as its own inference (no waiting for company).</summary>
    /// <param name="contractGraph">
    /// Serve with the full-catalogue graph's in-graph mask and TopK (the contract-1 path) instead of the serving graph.
    /// </param>
    public static ScorerOptions SingleUserOptions(int intraOpThreads, bool contractGraph = false) => new()
    {
        UseItemScoresGraph = !contractGraph,
        IntraOpThreads = intraOpThreads,
        InterOpThreads = 1,
        MaxBatchSize = 1,
        MaxBatchWait = TimeSpan.Zero,
    };

    /// <summary>
    /// Options for a scorer that runs a whole <c>ScoreBatchAsync</c> of <paramref name="batchSize"/> users as one
    /// inference. The wait only bridges the microseconds in which the caller is still enqueuing the rest of the batch.
    /// </summary>
    public static ScorerOptions BatchOptions(int intraOpThreads, int batchSize, bool contractGraph = false) => new()
    {
        UseItemScoresGraph = !contractGraph,
        IntraOpThreads = intraOpThreads,
        InterOpThreads = 1,
        MaxBatchSize = batchSize,
        MaxBatchWait = TimeSpan.FromMilliseconds(5),
        QueueCapacity = Math.Max(4096, batchSize),
    };

    private static BenchmarkCatalogue Create(int itemCount)
    {
        var random = new Random(20261126 + itemCount);
        const int users = 1;
        var model = new EmbeddingModel(ModelKind.Svd, users, itemCount, Dimension) { GlobalBias = 3.5f };
        for (var i = 0; i < model.ItemVectors.Length; i++) model.ItemVectors[i] = Gaussian(random) * 0.3f;
        for (var i = 0; i < itemCount; i++) model.ItemBias[i] = Gaussian(random) * 0.2f;
        var itemIds = new IdMap(Enumerable.Range(1, itemCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var userIds = new IdMap(["1"]);
        var manifest = ModelDirectory.CreateManifest(model, userIds, itemIds, $"synthetic-{itemCount}", seed: itemCount, trainingSeconds: 0);
        Directory.CreateDirectory(Folder);
        var path = Path.Combine(Folder, $"synthetic-{itemCount}-d{Dimension}.onnx");
        OnnxExporter.ExportGraph(model, manifest, OnnxScoringGraph.ItemScores, OnnxContract.ItemScoresPathFor(path));
        OnnxExporter.ExportGraph(model, manifest, OnnxScoringGraph.FullCatalogue, path);
        return new BenchmarkCatalogue(itemCount, model, path, new DotProductScorer(model));
    }

    private static float Gaussian(Random random)
    {
        // Box–Muller; the weights only need a plausible spread, not a particular distribution.
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
