using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.UnitTests.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.ColdStart;

public class TextItemMapTests
{
    /// <summary>A model whose item vectors and biases are a known linear function of made-up unit text vectors.</summary>
    private static (EmbeddingModel Model, float[][] Text) LinearWorld(int items = 300, int textDimension = 24, int dimension = 6)
    {
        var random = new Random(11);
        var model = new EmbeddingModel(ModelKind.Bpr, 3, items, dimension);
        var map = Enumerable.Range(0, (textDimension + 1) * (dimension + 1)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var text = new float[items][];
        for (var i = 0; i < items; i++)
        {
            var v = Enumerable.Range(0, textDimension).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var norm = MathF.Sqrt(v.Sum(x => x * x));
            text[i] = v.Select(x => x / norm).ToArray();
            var target = new float[dimension + 1];
            RidgeRegression.Predict(map, text[i], target);
            target.AsSpan(0, dimension).CopyTo(model.ItemVector(i));
            model.ItemBias[i] = target[dimension];
        }
        return (model, text);
    }

    [Fact]
    public void A_fitted_map_places_held_out_items_near_their_vectors()
    {
        var (model, text) = LinearWorld();
        var fitted = Enumerable.Range(0, 250).ToArray();

        var map = TextItemMap.Fit(model, "v1", fitted, i => text[i], "test/encoder");

        Assert.Equal(250, map.FittedItems);
        for (var i = 250; i < 300; i++)
        {
            var (vector, bias) = map.Place(text[i]);
            Assert.Equal(model.Dimension, vector.Length);
            for (var k = 0; k < vector.Length; k++) Assert.Equal(model.ItemVector(i)[k], vector[k], 0.05);
            Assert.Equal(model.ItemBias[i], bias, 0.05);
        }
    }

    [Fact]
    public void The_file_round_trips_exactly()
    {
        using var folder = new TempFolder();
        var (model, text) = LinearWorld();
        var map = TextItemMap.Fit(model, "20261202T000000Z-abc123", Enumerable.Range(0, 200).ToArray(), i => text[i], "minilm/all-minilm-l6-v2");
        var path = Path.Combine(folder.Path, TextItemMap.FileName);

        map.Save(path);
        var read = TextItemMap.Load(path);

        Assert.Equal((map.Encoder, map.TextRecipe, map.ModelVersion, map.TextDimension, map.ModelDimension, map.Lambda, map.FittedItems),
            (read.Encoder, read.TextRecipe, read.ModelVersion, read.TextDimension, read.ModelDimension, read.Lambda, read.FittedItems));
        Assert.Equal(map.Place(text[250]).Vector, read.Place(text[250]).Vector);
        Assert.Equal(map.Place(text[250]).Bias, read.Place(text[250]).Bias);
        // (24 + 1) × (6 + 1) floats and a short header: small beside the model.
        Assert.InRange(new FileInfo(path).Length, 25 * 7 * 4, 25 * 7 * 4 + 200);
    }

    [Fact]
    public void A_truncated_or_foreign_file_is_refused()
    {
        using var folder = new TempFolder();
        var (model, text) = LinearWorld();
        var path = Path.Combine(folder.Path, TextItemMap.FileName);
        TextItemMap.Fit(model, "v1", Enumerable.Range(0, 100).ToArray(), i => text[i], "e").Save(path);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..^10]);
        Assert.Throws<InvalidDataException>(() => TextItemMap.Load(path));
        File.WriteAllText(path, "LLMRECW1 not a map");
        Assert.Throws<InvalidDataException>(() => TextItemMap.Load(path));
    }

    [Fact]
    public void The_model_directory_keeps_the_map_and_refuses_one_fitted_to_another_version()
    {
        using var folder = new TempFolder();
        var (model, text) = LinearWorld(items: 40);
        var users = new IdMap(["u1", "u2", "u3"]);
        var items = new IdMap(Enumerable.Range(1, 40).Select(i => $"i{i}"));
        var manifest = ModelDirectory.CreateManifest(model, users, items, "test", 1, 0);
        var directory = Path.Combine(folder.Path, "model");
        var map = TextItemMap.Fit(model, manifest.Version, Enumerable.Range(0, 40).ToArray(), i => text[i], "e");

        ModelDirectory.Save(directory, model, users, items, manifest, map);
        var loaded = ModelDirectory.LoadTextMap(directory, manifest);

        Assert.NotNull(loaded);
        Assert.Equal(map.Place(text[3]).Vector, loaded.Place(text[3]).Vector);
        Assert.Throws<InvalidDataException>(() => ModelDirectory.LoadTextMap(directory, manifest with { Version = "another" }));
        // Saving again over a model directory that holds a map is allowed (the map is part of the model).
        ModelDirectory.Save(directory, model, users, items, manifest);
        Assert.Null(ModelDirectory.LoadTextMap(directory, manifest));
    }

    [Fact]
    public void Item_text_names_title_tags_and_text_and_leaves_out_the_no_genre_marker()
    {
        Assert.Equal("Heat (1995). Tags: Action, Crime. A heist goes wrong.", ItemText.Compose("Heat (1995)", ["Action", "Crime"], "A heist goes wrong."));
        Assert.Equal("Untitled", ItemText.Compose("Untitled", ["(no genres listed)"], null));
        var info = new ItemInfo("1", "Heat (1995)", 1995, ["Action"]) { Tags = ["Pacino"], Description = "A heist." };
        // User-written tags come from users who already watched: a new item has none.
        Assert.Equal("Heat (1995). Tags: Action. A heist.", ItemText.Of(info));
        Assert.Equal("Heat (1995). Tags: Action", ItemText.Of(info, withDescription: false));
    }
}
