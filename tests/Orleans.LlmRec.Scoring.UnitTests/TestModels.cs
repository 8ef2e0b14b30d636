using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>Random models with every term of the score non-zero, so a dropped bias or a transposed table shows.</summary>
internal static class TestModels
{
    public static EmbeddingModel Random(int users, int items, int dimension, int seed, ModelKind? kind = null)
    {
        var random = new Random(seed);
        var model = new EmbeddingModel(kind ?? (dimension == 0 ? ModelKind.Popularity : ModelKind.Svd), users, items, dimension)
        {
            GlobalBias = (float)(random.NextDouble() * 4 - 1),
        };
        Fill(model.UserVectors, random, 1f);
        Fill(model.ItemVectors, random, 1f);
        Fill(model.UserBias, random, 0.5f);
        Fill(model.ItemBias, random, 0.5f);
        return model;
    }

    public static ModelManifest Manifest(EmbeddingModel model, string version = "20250101T000000Z-abcdef", string? itemChecksum = null) => new()
    {
        Kind = model.Kind.ToName(),
        Version = version,
        CreatedAt = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
        UserCount = model.UserCount,
        ItemCount = model.ItemCount,
        Dimension = model.Dimension,
        Dataset = "synthetic",
        Seed = 7,
        ItemIdChecksum = itemChecksum ?? ItemIds(model.ItemCount).Checksum(),
        UserIdChecksum = new IdMap(Enumerable.Range(0, model.UserCount).Select(u => $"u{u}")).Checksum(),
        Parameters = new Dictionary<string, double> { ["reg"] = 0.02 },
        Metrics = new Dictionary<string, double> { ["ndcg@10"] = 0.3125, ["recall@20"] = 0.5 },
    };

    public static IdMap ItemIds(int count) => new(Enumerable.Range(0, count).Select(i => $"i{i}"));

    /// <summary>Exports both graphs into <paramref name="folder"/> and returns the full-catalogue path.</summary>
    public static string Export(EmbeddingModel model, string folder, string version = "20250101T000000Z-abcdef")
    {
        var manifest = Manifest(model, version);
        var path = Path.Combine(folder, $"{manifest.Kind}-{version}.onnx");
        OnnxExporter.Export(model, manifest, path);
        return path;
    }

    /// <summary>The reference ranking: full sort by score, best first, index as the tie-break.</summary>
    public static int[] ReferenceTopK(ReadOnlySpan<float> scores, int k, Func<int, bool>? excluded = null)
    {
        var order = new List<int>();
        for (var i = 0; i < scores.Length; i++)
        {
            if (excluded is null || !excluded(i)) order.Add(i);
        }
        var copy = scores.ToArray();
        order.Sort((a, b) => copy[b].CompareTo(copy[a]) is var c && c != 0 ? c : a.CompareTo(b));
        return [.. order.Take(k)];
    }

    /// <summary>
    /// The relative error bound for a sum: float rounding grows with the magnitude of the terms, not of the total,
    /// so a score near zero made of large terms is judged against the terms.
    /// </summary>
    public static float Tolerance(EmbeddingModel model, ReadOnlySpan<float> userVector, float userBias, int item)
    {
        var magnitude = Math.Abs(model.GlobalBias) + Math.Abs(userBias) + Math.Abs(model.ItemBias[item]);
        var itemVector = model.ItemVector(item);
        for (var j = 0; j < model.Dimension; j++) magnitude += Math.Abs(userVector[j] * itemVector[j]);
        return 1e-5f * Math.Max(magnitude, 1e-3f);
    }

    private static void Fill(float[] values, Random random, float scale)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (float)((random.NextDouble() * 2 - 1) * scale);
    }
}

/// <summary>A temporary folder removed with the test.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "llmrec-scoring-tests", Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}
