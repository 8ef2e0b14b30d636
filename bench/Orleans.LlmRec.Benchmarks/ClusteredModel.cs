using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// A synthetic model whose item vectors fall in clusters, as trained embeddings do (genres, topics): 256 Gaussian
/// centres (σ 0.3 per dimension), each item a centre plus N(0, 0.12²) noise, item biases N(0, 0.1²); users are a
/// random centre plus N(0, 0.2²). Uniformly random vectors would be the harder and less realistic case for an
/// approximate index (no neighbourhoods to find). Exported with our exporter (all three graphs) to a temporary folder.
/// </summary>
internal sealed class ClusteredModel : IDisposable
{
    public const int Dimension = 64;
    private const int Clusters = 256;
    private readonly float[][] _centres;
    private readonly string _folder;

    public ClusteredModel(int itemCount, int seed, bool export = true)
    {
        var random = new Random(seed);
        _centres = [.. Enumerable.Range(0, Clusters).Select(_ => Gaussians(random, Dimension, 0.3f))];
        Model = new EmbeddingModel(ModelKind.Svd, 1, itemCount, Dimension) { GlobalBias = 0.5f };
        for (var i = 0; i < itemCount; i++)
        {
            var centre = _centres[random.Next(Clusters)];
            var row = Model.ItemVector(i);
            for (var j = 0; j < Dimension; j++) row[j] = centre[j] + Gaussian(random) * 0.12f;
            Model.ItemBias[i] = Gaussian(random) * 0.1f;
        }
        _folder = Path.Combine(Path.GetTempPath(), $"llmrec-retrieval-{Environment.ProcessId}-{itemCount}");
        if (!export) return;
        Directory.CreateDirectory(_folder);
        var items = new IdMap(Enumerable.Range(1, itemCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var manifest = ModelDirectory.CreateManifest(Model, new IdMap(["1"]), items, $"clustered-{itemCount}", seed, trainingSeconds: 0);
        OnnxPath = OnnxExporter.Export(Model, manifest, Path.Combine(_folder, "model.onnx")).FullCataloguePath;
    }

    public EmbeddingModel Model { get; }
    /// <summary>The exported full-catalogue graph (empty when built without export).</summary>
    public string OnnxPath { get; } = "";
    public int ItemCount => Model.ItemCount;

    /// <summary>Users near a cluster, with a bias and <paramref name="excluded"/> distinct excluded items (sorted).</summary>
    public (float[] Vector, float Bias, int[] Excluded)[] Users(int count, int excluded, int seed)
    {
        var random = new Random(seed);
        var users = new (float[], float, int[])[count];
        for (var u = 0; u < count; u++)
        {
            var centre = _centres[random.Next(Clusters)];
            var vector = new float[Dimension];
            for (var j = 0; j < Dimension; j++) vector[j] = centre[j] + Gaussian(random) * 0.2f;
            var seen = new SortedSet<int>();
            while (seen.Count < Math.Min(excluded, ItemCount / 2)) seen.Add(random.Next(ItemCount));
            users[u] = (vector, Gaussian(random) * 0.1f, [.. seen]);
        }
        return users;
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private static float[] Gaussians(Random random, int count, float scale)
    {
        var values = new float[count];
        for (var j = 0; j < count; j++) values[j] = Gaussian(random) * scale;
        return values;
    }

    private static float Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
    }
}
