using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// A data set and a model with a known answer, written to a temp folder the silo is pointed at: a small synthetic
/// catalogue (ml-latest-small layout) and a BPR-shaped model whose item vectors are the unit-length multi-hot of the
/// item's genres. Items that share genres are neighbours, so a click must lift items of the clicked item's genres.
/// Independent of any trainer, so the tests pin the serving path, not model quality.
/// </summary>
public sealed class GenreWorld : IDisposable
{
    private GenreWorld(string root, RatingsDataset dataset)
    {
        Root = root;
        Dataset = dataset;
    }

    public string Root { get; }
    public string DatasetPath => Path.Combine(Root, "data");
    public string ModelPath => Path.Combine(Root, "model");
    public string OnnxFolder => Path.Combine(Root, "onnx");

    /// <summary>The data set as the silo loads it (same loader, so the same dense indexes).</summary>
    public RatingsDataset Dataset { get; }

    public static GenreWorld Create(int users = 300, int items = 500)
    {
        var root = Directory.CreateTempSubdirectory("llmrec-it-").FullName;
        var synthetic = SyntheticCatalogue.Generate(new SyntheticCatalogueOptions { UserCount = users, ItemCount = items, MeanInteractionsPerUser = 30, Seed = 7 });
        var dataPath = Path.Combine(root, "data");
        MovieLensWriter.WriteLatestSmallLayout(synthetic, dataPath);
        var dataset = DatasetLoader.Load(dataPath, "ml-latest-small");

        var genres = SyntheticCatalogue.Genres;
        var model = new EmbeddingModel(ModelKind.Bpr, dataset.UserCount, dataset.ItemCount, genres.Count);
        for (var i = 0; i < dataset.ItemCount; i++)
        {
            var vector = model.ItemVector(i);
            foreach (var genre in dataset.ItemInfo[i].Genres)
            {
                vector[IndexOf(genres, genre)] = 1f;
            }
            TensorPrimitives.Divide(vector, TensorPrimitives.Norm<float>(vector), vector);
        }
        var manifest = ModelDirectory.CreateManifest(model, dataset.Users, dataset.Items, dataset.Name, seed: 7, trainingSeconds: 0);
        ModelDirectory.Save(Path.Combine(root, "model"), model, dataset.Users, dataset.Items, manifest);
        return new GenreWorld(root, dataset);
    }

    public IReadOnlyList<string> GenresOf(string itemId) => Dataset.ItemInfo[Dataset.Items[itemId]].Genres;

    /// <summary>Item ids, most distinct users first, ties by dense index: the order the service calls popular.</summary>
    public IReadOnlyList<string> PopularItems()
    {
        var users = new HashSet<int>[Dataset.ItemCount];
        foreach (var x in Dataset.Interactions) (users[x.Item] ??= []).Add(x.User);
        return Enumerable.Range(0, Dataset.ItemCount)
            .OrderByDescending(i => users[i]?.Count ?? 0).ThenBy(i => i)
            .Select(Dataset.Items.GetExternalId)
            .ToList();
    }

    /// <summary>Cosine of two items' genre sets: what the model's item vectors encode.</summary>
    public float Similarity(string itemId, string otherId)
    {
        var a = GenresOf(itemId);
        var b = GenresOf(otherId);
        return a.Intersect(b).Count() / MathF.Sqrt(a.Count * b.Count);
    }

    /// <summary>The items a data-set user interacted with.</summary>
    public IReadOnlySet<string> ItemsOf(string userId)
    {
        var user = Dataset.Users[userId];
        return Dataset.Interactions.Where(x => x.User == user).Select(x => Dataset.Items.GetExternalId(x.Item)).ToHashSet();
    }

    private static int IndexOf(IReadOnlyList<string> list, string value)
    {
        for (var k = 0; k < list.Count; k++)
        {
            if (list[k] == value) return k;
        }
        throw new ArgumentException($"Unknown genre '{value}'.");
    }

    /// <summary>
    /// Replaces the model in <see cref="ModelPath"/> with one of the same kind and item map but seeded random item
    /// vectors (a rotation or sign flip of the old ones would rank the same after fold-in), as <c>llmrec train --out</c>
    /// would; returns its manifest.
    /// </summary>
    public ModelManifest WriteUnrelatedModel(int seed)
    {
        var (current, users, items, _) = ModelDirectory.Load(ModelPath);
        var next = new EmbeddingModel(current.Kind, current.UserCount, current.ItemCount, current.Dimension);
        var random = new Random(seed);
        for (var i = 0; i < next.ItemVectors.Length; i++) next.ItemVectors[i] = (float)(random.NextDouble() - 0.5);
        var manifest = ModelDirectory.CreateManifest(next, users, items, Dataset.Name, seed, trainingSeconds: 0);
        ModelDirectory.Save(ModelPath, next, users, items, manifest);
        return manifest;
    }

    /// <summary>A single silo (localhost clustering, memory storage) serving this world's data set and model directory.</summary>
    public Task<SiloServer> StartSiloAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        var ports = FreePorts.Take(3);
        var settings = new Dictionary<string, string>
        {
            ["Silo:SiloPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Catalogue:DatasetPath"] = DatasetPath,
            ["Catalogue:Format"] = "ml-latest-small",
            ["Model:Directory"] = ModelPath,
            ["Model:OnnxFolder"] = OnnxFolder,
            ["Feed:ScoringBudget"] = "00:00:05",
            // Behaviour, not latency: a cold user on a busy CI machine may take longer than the 2 s default.
            ["Availability:RequestBudget"] = "00:00:10",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>()) settings[key] = value;
        return SiloServer.StartAsync(ports[0], settings);
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
