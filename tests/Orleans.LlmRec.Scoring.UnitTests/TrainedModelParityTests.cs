using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.FoldIn;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;
using Orleans.LlmRec.Recommendation.Training;
using Xunit.Abstractions;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>
/// Issue 3's parity acceptance on <b>trained</b> models (the other exporter tests use random weights): every model kind
/// is trained on a small deterministic synthetic catalogue, exported, opened in ONNX Runtime at ORT_ENABLE_ALL, and its
/// scores and in-graph TopK compared with a double-precision C# reference for random users, both with their trained rows
/// and with vectors folded in from their training interactions (what the service sends), under an exclusion mask.
/// <para>
/// Relative error: |onnx − reference| / Σ|terms| where the terms are the global, user and item biases and the products
/// u_j·v_j. A float32 sum rounds relative to the size of its terms, not of its total, so a score that cancels to near zero
/// would make |onnx − reference| / |reference| meaningless; that plain figure is still printed for the record.
/// </para>
/// </summary>
public sealed class TrainedModelParityTests(ITestOutputHelper output) : IDisposable
{
    private const double MaxRelativeError = 1e-5;
    private const int UsersChecked = 20;
    private const int K = 20;

    private static readonly Lazy<RatingsDataset> Catalogue = new(() => SyntheticCatalogue.Generate(new SyntheticCatalogueOptions
    {
        Seed = 17,
        UserCount = 120,
        ItemCount = 220,
        MeanInteractionsPerUser = 20,
    }));

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<ModelKind> AllKinds => [.. Enum.GetValues<ModelKind>()];

    private static EmbeddingModel Train(ModelKind kind) => ModelTrainers.Create(kind, new TrainerSettings
    {
        Seed = 5,
        Factors = 16,
        // Few epochs keep the theory quick; the weights are still trained (far from their initialisation), which is
        // what makes them differ from the random-weight models: biases, norms and layer averages as training leaves them.
        Epochs = kind switch { ModelKind.Bpr => 30, ModelKind.LightGcn => 8, _ => 10 },
        ValidationFraction = 0,
    }).Train(Catalogue.Value);

    [Theory]
    [MemberData(nameof(AllKinds))]
    public async Task OnnxRuntimeMatchesTheCSharpReferenceOnATrainedModel(ModelKind kind)
    {
        var data = Catalogue.Value;
        var matrix = data.ToMatrix();
        var model = Train(kind);
        Assert.Equal(kind, model.Kind);
        var manifest = ModelDirectory.CreateManifest(model, data.Users, data.Items, data.Name, seed: 5, trainingSeconds: 0);
        var path = Path.Combine(_folder.Path, $"{kind.ToName()}.onnx");
        OnnxExporter.Export(model, manifest, path);

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        using var full = new InferenceSession(path, options);
        using var candidates = new InferenceSession(OnnxContract.CandidatesPathFor(path), options);
        AssertMetadata(full, OnnxScoringGraph.FullCatalogue, kind, model, manifest, data.Items);
        AssertMetadata(candidates, OnnxScoringGraph.Candidates, kind, model, manifest, data.Items);

        // Rows: 20 random users with their trained rows, then the same users folded in from their training interactions.
        var random = new Random(1000 + (int)kind);
        var users = Enumerable.Range(0, data.UserCount).OrderBy(_ => random.Next()).Take(UsersChecked).ToArray();
        var foldIn = new UserFoldIn(model);
        var rows = new List<(string Label, float[] Vector, float Bias, int[] Seen)>();
        foreach (var user in users) rows.Add(($"user {user} trained", model.UserVector(user).ToArray(), model.UserBias[user], matrix.ItemsOf(user).ToArray()));
        foreach (var user in users)
        {
            var items = matrix.ItemsOf(user);
            var ratings = matrix.RatingsOf(user);
            var interactions = new FoldInInteraction[items.Length];
            for (var n = 0; n < items.Length; n++)
            {
                interactions[n] = kind.PredictsRatings() ? new FoldInInteraction(items[n], ratings[n], IsRating: true) : new FoldInInteraction(items[n], 1f);
            }
            var folded = foldIn.Compute(interactions);
            rows.Add(($"user {user} folded in", folded.Vector, folded.Bias, items.ToArray()));
        }

        var stats = new ErrorStats();
        var fullTopItems = CheckFullCatalogue(full, model, rows, stats);
        CheckCandidates(candidates, model, rows, new Random(7 + (int)kind), stats);

        output.WriteLine($"{kind.ToName()}: d={model.Dimension}, {rows.Count} rows, {stats.Compared} scores; max relative error (terms) {stats.MaxRelative:E2}, " +
            $"max |error| / |reference| {stats.MaxPlainRelative:E2}, max |error| {stats.MaxAbsolute:E2}; {stats.NearTieSwaps} near-tie swap(s) against the double reference");
        Assert.True(stats.MaxRelative <= MaxRelativeError, $"{kind.ToName()}: worst relative error {stats.MaxRelative:E3} at {stats.Worst}.");
        Assert.True(stats.Compared > 0);

        // The serving path's own load checks (signature, metadata, expectation, test inference) accept the file too,
        // and it returns what the raw session returned for the same row.
        await using var scorer = OnnxScorer.Load(path, expectation: new ModelExpectation
        {
            ItemCount = data.ItemCount,
            ItemIdChecksum = data.Items.Checksum(),
            Dimension = model.Dimension,
        });
        Assert.Equal(kind, scorer.Model.Kind);
        Assert.True(scorer.SupportsCandidates);
        var last = rows.Count - 1;
        var served = await scorer.ScoreAsync(new ScoringRequest(rows[last].Vector, rows[last].Bias, K) { ExcludedItems = rows[last].Seen });
        Assert.Equal(fullTopItems[last], served.Items.Select(i => i.Item));
    }

    private static void AssertMetadata(InferenceSession session, OnnxScoringGraph graph, ModelKind kind, EmbeddingModel model, ModelManifest manifest, IdMap items)
    {
        var info = OnnxModelInfo.FromMetadata(session.ModelMetadata.CustomMetadataMap.AsReadOnly());
        Assert.Equal(OnnxContract.ContractVersion, info.ContractVersion);
        Assert.Equal(graph, info.Graph);
        Assert.Equal(kind, info.Kind);
        Assert.Equal(model.Dimension, info.Dimension);
        Assert.Equal(model.ItemCount, info.ItemCount);
        Assert.Equal(model.UserCount, info.UserCount);
        Assert.Equal(manifest.Version, info.Version);
        Assert.Equal(items.Checksum(), info.ItemIdChecksum);
        Assert.Equal(manifest.ItemIdChecksum, info.ItemIdChecksum);
        Assert.Equal(model.Dimension > 0, session.InputNames.Contains(OnnxContract.UserVectorsInput));
    }

    private static int[][] CheckFullCatalogue(InferenceSession session, EmbeddingModel model, List<(string Label, float[] Vector, float Bias, int[] Seen)> rows, ErrorStats stats)
    {
        var n = model.ItemCount;
        var mask = new bool[rows.Count * n];
        for (var r = 0; r < rows.Count; r++)
        {
            foreach (var item in rows[r].Seen) mask[r * n + item] = true;
        }
        using var inputs = new DisposableList();
        var names = UserInputs(model, rows, inputs);
        names.Add(OnnxContract.ExclusionMaskInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(mask, [rows.Count, n]));
        names.Add(OnnxContract.KInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[] { K }, [1]));
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, names, inputs, [OnnxContract.ScoresOutput, OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput]);
        var scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var topScores = outputs[1].GetTensorDataAsSpan<float>().ToArray();
        var topItems = outputs[2].GetTensorDataAsSpan<long>().ToArray();
        Assert.Equal(rows.Count * n, scores.Length);
        Assert.Equal(rows.Count * K, topItems.Length);
        var result = new int[rows.Count][];

        for (var r = 0; r < rows.Count; r++)
        {
            var (label, vector, bias, _) = rows[r];
            var rowScores = scores.AsSpan(r * n, n).ToArray();
            var reference = new double[n];
            var tolerance = new double[n];
            for (var item = 0; item < n; item++)
            {
                (reference[item], var magnitude) = Reference(model, vector, bias, item);
                tolerance[item] = MaxRelativeError * Math.Max(magnitude, 1e-6);
                if (mask[r * n + item])
                {
                    Assert.True(float.IsNegativeInfinity(rowScores[item]), $"{label}: masked item {item} scored {rowScores[item]}.");
                    continue;
                }
                stats.Add(rowScores[item], reference[item], magnitude, $"{label}, item {item}");
            }

            var actual = result[r] = topItems.AsSpan(r * K, K).ToArray().Select(i => (int)i).ToArray();
            for (var j = 0; j < K; j++)
            {
                Assert.False(mask[r * n + actual[j]], $"{label}: masked item {actual[j]} in the top {K}.");
                Assert.Equal(rowScores[actual[j]], topScores[r * K + j]);
            }
            // In-graph TopK against a full sort of the graph's own scores: only exact ties may swap.
            var sortedOnnx = FullSort(n, i => mask[r * n + i] ? double.NegativeInfinity : rowScores[i]);
            for (var j = 0; j < K; j++)
            {
                Assert.True(rowScores[actual[j]] == rowScores[sortedOnnx[j]],
                    $"{label}: TopK position {j} is item {actual[j]} ({rowScores[actual[j]]}), a full sort has item {sortedOnnx[j]} ({rowScores[sortedOnnx[j]]}).");
            }
            // And against a full sort of the double reference: a swap is allowed only between items whose reference scores
            // differ by less than the parity tolerance (float32 cannot order them reliably).
            var sortedReference = FullSort(n, i => mask[r * n + i] ? double.NegativeInfinity : reference[i]);
            for (var j = 0; j < K; j++)
            {
                if (actual[j] == sortedReference[j]) continue;
                var gap = Math.Abs(reference[actual[j]] - reference[sortedReference[j]]);
                Assert.True(gap <= tolerance[actual[j]] + tolerance[sortedReference[j]],
                    $"{label}: TopK position {j} is item {actual[j]} (reference {reference[actual[j]]:R}), the reference sort has item {sortedReference[j]} ({reference[sortedReference[j]]:R}).");
                stats.NearTieSwaps++;
            }
        }
        return result;
    }

    private static void CheckCandidates(InferenceSession session, EmbeddingModel model, List<(string Label, float[] Vector, float Bias, int[] Seen)> rows, Random random, ErrorStats stats)
    {
        const int candidateCount = 40;
        const int k = 10;
        var candidates = new long[rows.Count * candidateCount];
        var mask = new bool[candidates.Length];
        for (var r = 0; r < rows.Count; r++)
        {
            var seen = rows[r].Seen.ToHashSet();
            for (var c = 0; c < candidateCount; c++)
            {
                var item = random.Next(model.ItemCount);
                candidates[r * candidateCount + c] = item;
                mask[r * candidateCount + c] = seen.Contains(item);
            }
        }
        using var inputs = new DisposableList();
        var names = UserInputs(model, rows, inputs);
        names.Add(OnnxContract.CandidatesInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(candidates, [rows.Count, candidateCount]));
        names.Add(OnnxContract.ExclusionMaskInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(mask, [rows.Count, candidateCount]));
        names.Add(OnnxContract.KInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[] { k }, [1]));
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, names, inputs, [OnnxContract.ScoresOutput, OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput]);
        var scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var topItems = outputs[2].GetTensorDataAsSpan<long>().ToArray();

        for (var r = 0; r < rows.Count; r++)
        {
            var (label, vector, bias, _) = rows[r];
            var reference = new double[candidateCount];
            for (var c = 0; c < candidateCount; c++)
            {
                var slot = r * candidateCount + c;
                if (mask[slot])
                {
                    Assert.True(float.IsNegativeInfinity(scores[slot]), $"{label}: masked candidate slot {c} scored {scores[slot]}.");
                    reference[c] = double.NegativeInfinity;
                    continue;
                }
                var item = (int)candidates[slot];
                (reference[c], var magnitude) = Reference(model, vector, bias, item);
                stats.Add(scores[slot], reference[c], magnitude, $"{label}, candidate item {item}");
            }
            var eligible = mask.AsSpan(r * candidateCount, candidateCount).ToArray().Count(m => !m);
            var sorted = FullSort(candidateCount, c => scores[r * candidateCount + c]);
            for (var j = 0; j < Math.Min(k, eligible); j++)
            {
                // Top items are item indexes: an exact tie may swap slots (and duplicate candidates score alike).
                var actual = (int)topItems[r * k + j];
                var expected = (int)candidates[r * candidateCount + sorted[j]];
                Assert.True(actual == expected || scores[r * candidateCount + sorted[j]] == ScoreOfItem(scores, candidates, r, candidateCount, actual),
                    $"{label}: candidate TopK position {j} is item {actual}, a full sort has item {expected}.");
            }
        }
    }

    private static float ScoreOfItem(float[] scores, long[] candidates, int row, int candidateCount, int item)
    {
        for (var c = 0; c < candidateCount; c++)
        {
            if (candidates[row * candidateCount + c] == item && !float.IsNegativeInfinity(scores[row * candidateCount + c])) return scores[row * candidateCount + c];
        }
        return float.NaN;
    }

    /// <summary>The score in double precision from the float weights, and the sum of its terms' magnitudes.</summary>
    private static (double Score, double Magnitude) Reference(EmbeddingModel model, float[] vector, float bias, int item)
    {
        double score = (double)model.GlobalBias + bias + model.ItemBias[item];
        var magnitude = Math.Abs((double)model.GlobalBias) + Math.Abs((double)bias) + Math.Abs((double)model.ItemBias[item]);
        var itemVector = model.ItemVector(item);
        for (var j = 0; j < model.Dimension; j++)
        {
            var product = (double)vector[j] * itemVector[j];
            score += product;
            magnitude += Math.Abs(product);
        }
        return (score, magnitude);
    }

    /// <summary>Every index sorted by score, best first, lower index first among equal scores.</summary>
    private static int[] FullSort(int count, Func<int, double> score)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var keys = order.Select(score).ToArray();
        Array.Sort(order, (a, b) => keys[b].CompareTo(keys[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return order;
    }

    private static List<string> UserInputs(EmbeddingModel model, List<(string Label, float[] Vector, float Bias, int[] Seen)> rows, DisposableList inputs)
    {
        var names = new List<string>();
        if (model.Dimension > 0)
        {
            Assert.All(rows, row => Assert.Equal(model.Dimension, row.Vector.Length));
            names.Add(OnnxContract.UserVectorsInput);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(rows.SelectMany(row => row.Vector).ToArray(), [rows.Count, model.Dimension]));
        }
        names.Add(OnnxContract.UserBiasInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(rows.Select(row => row.Bias).ToArray(), [rows.Count]));
        return names;
    }

    private sealed class ErrorStats
    {
        public int Compared { get; private set; }
        public double MaxRelative { get; private set; }
        public double MaxPlainRelative { get; private set; }
        public double MaxAbsolute { get; private set; }
        public string Worst { get; private set; } = "";
        public int NearTieSwaps { get; set; }

        public void Add(float onnx, double reference, double magnitude, string where)
        {
            Assert.True(float.IsFinite(onnx), $"{where}: ONNX Runtime scored {onnx}.");
            var error = Math.Abs(onnx - reference);
            var relative = error / Math.Max(magnitude, 1e-6);
            Compared++;
            MaxAbsolute = Math.Max(MaxAbsolute, error);
            if (Math.Abs(reference) > 0) MaxPlainRelative = Math.Max(MaxPlainRelative, error / Math.Abs(reference));
            if (relative > MaxRelative)
            {
                MaxRelative = relative;
                Worst = $"{where}: onnx {onnx:R}, reference {reference:R}";
            }
        }
    }

    private sealed class DisposableList : List<OrtValue>, IDisposable
    {
        public void Dispose()
        {
            foreach (var value in this) value.Dispose();
        }
    }
}
