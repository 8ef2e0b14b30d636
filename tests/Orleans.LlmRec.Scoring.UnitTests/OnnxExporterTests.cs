using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring.UnitTests;

/// <summary>Runs the exported graphs straight through ONNX Runtime and compares them with <see cref="EmbeddingModel"/>.</summary>
public sealed class OnnxExporterTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(8, 3)]
    [InlineData(33, 4)]
    [InlineData(64, 5)]
    public void FullCatalogueScoresAndTopKMatchTheEmbeddingModel(int dimension, int seed)
    {
        var model = TestModels.Random(users: 12, items: 301, dimension, seed);
        var path = TestModels.Export(model, _folder.Path);
        using var session = new InferenceSession(path, new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL });
        var users = Enumerable.Range(0, model.UserCount).ToArray();
        const int k = 25;

        var (scores, topScores, topItems) = RunFull(session, model, users, mask: null, k);

        var expected = new float[model.ItemCount];
        for (var row = 0; row < users.Length; row++)
        {
            model.ScoreAll(users[row], expected);
            for (var item = 0; item < model.ItemCount; item++)
            {
                var tolerance = TestModels.Tolerance(model, model.UserVector(users[row]), model.UserBias[users[row]], item);
                Assert.True(Math.Abs(scores[row * model.ItemCount + item] - expected[item]) <= tolerance,
                    $"user {row} item {item}: onnx {scores[row * model.ItemCount + item]} vs model {expected[item]}");
            }
            Assert.Equal(TestModels.ReferenceTopK(expected, k), topItems.Skip(row * k).Take(k).Select(i => (int)i).ToArray());
            for (var j = 0; j < k; j++)
            {
                Assert.Equal(scores[row * model.ItemCount + (int)topItems[row * k + j]], topScores[row * k + j]);
                if (j > 0) Assert.True(topScores[row * k + j - 1] >= topScores[row * k + j]);
            }
        }
    }

    [Fact]
    public void ExclusionMaskSendsExcludedItemsToMinusInfinityAndOutOfTopK()
    {
        var model = TestModels.Random(users: 3, items: 50, dimension: 4, seed: 11);
        var path = TestModels.Export(model, _folder.Path);
        using var session = new InferenceSession(path);
        var expected = new float[model.ItemCount];
        model.ScoreAll(1, expected);
        // Exclude the five best items of user 1 and one item of user 0, nothing for user 2.
        var bestOfUserOne = TestModels.ReferenceTopK(expected, 5);
        var mask = new bool[3 * model.ItemCount];
        foreach (var item in bestOfUserOne) mask[model.ItemCount + item] = true;
        mask[7] = true;

        var (scores, _, topItems) = RunFull(session, model, [0, 1, 2], mask, k: 10);

        Assert.True(float.IsNegativeInfinity(scores[7]));
        foreach (var item in bestOfUserOne) Assert.True(float.IsNegativeInfinity(scores[model.ItemCount + item]));
        Assert.Equal(
            TestModels.ReferenceTopK(expected, 10, excluded: i => bestOfUserOne.Contains(i)),
            topItems.Skip(10).Take(10).Select(i => (int)i).ToArray());
        Assert.DoesNotContain(7L, topItems.Take(10));
        Assert.DoesNotContain(topItems.Skip(20), i => float.IsNegativeInfinity(scores[2 * model.ItemCount + (int)i]));
    }

    [Theory]
    [InlineData(0, 21)]
    [InlineData(5, 22)]
    [InlineData(32, 23)]
    public void CandidateGraphScoresMatchTheEmbeddingModel(int dimension, int seed)
    {
        var model = TestModels.Random(users: 6, items: 120, dimension, seed);
        var path = TestModels.Export(model, _folder.Path);
        using var session = new InferenceSession(OnnxContract.CandidatesPathFor(path));
        var random = new Random(seed);
        const int candidateCount = 17;
        const int k = 6;
        var users = Enumerable.Range(0, model.UserCount).ToArray();
        var candidates = new long[users.Length * candidateCount];
        for (var i = 0; i < candidates.Length; i++) candidates[i] = random.Next(model.ItemCount);
        var mask = new bool[candidates.Length];
        mask[3] = true;

        using var inputs = new DisposableList();
        var names = UserInputs(model, users, inputs);
        names.Add(OnnxContract.CandidatesInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(candidates, [users.Length, candidateCount]));
        names.Add(OnnxContract.ExclusionMaskInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(mask, [users.Length, candidateCount]));
        names.Add(OnnxContract.KInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[] { k }, [1]));
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, names, inputs,
            [OnnxContract.ScoresOutput, OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput]);
        var scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();
        var topItems = outputs[2].GetTensorDataAsSpan<long>().ToArray();

        for (var row = 0; row < users.Length; row++)
        {
            var expected = new float[candidateCount];
            for (var c = 0; c < candidateCount; c++)
            {
                var index = row * candidateCount + c;
                var item = (int)candidates[index];
                expected[c] = mask[index] ? float.NegativeInfinity : model.Score(users[row], item);
                if (mask[index])
                {
                    Assert.True(float.IsNegativeInfinity(scores[index]));
                    continue;
                }
                var tolerance = TestModels.Tolerance(model, model.UserVector(users[row]), model.UserBias[users[row]], item);
                Assert.True(Math.Abs(scores[index] - expected[c]) <= tolerance, $"row {row} slot {c}: {scores[index]} vs {expected[c]}");
            }
            var expectedItems = TestModels.ReferenceTopK(expected, k).Select(c => candidates[row * candidateCount + c]);
            Assert.Equal(expectedItems, topItems.Skip(row * k).Take(k));
        }
    }

    [Fact]
    public void MetadataReadsBackThroughOnnxRuntime()
    {
        var model = TestModels.Random(users: 4, items: 9, dimension: 3, seed: 5);
        var manifest = TestModels.Manifest(model, version: "20250607T080910Z-0a1b2c");
        var path = Path.Combine(_folder.Path, "svd.onnx");
        OnnxExporter.Export(model, manifest, path);

        foreach (var (file, graph) in new[] { (path, OnnxScoringGraph.FullCatalogue), (OnnxContract.CandidatesPathFor(path), OnnxScoringGraph.Candidates) })
        {
            using var session = new InferenceSession(file);
            var metadata = session.ModelMetadata;
            var map = metadata.CustomMetadataMap;
            Assert.Equal(OnnxContract.ContractVersion, map[OnnxMetadataKeys.ContractVersion]);
            Assert.Equal("svd", map[OnnxMetadataKeys.Kind]);
            Assert.Equal("3", map[OnnxMetadataKeys.Dimension]);
            Assert.Equal("9", map[OnnxMetadataKeys.ItemCount]);
            Assert.Equal(manifest.ItemIdChecksum, map[OnnxMetadataKeys.ItemIdChecksum]);
            Assert.Equal(OnnxContract.ProducerName, metadata.ProducerName);

            var info = OnnxModelInfo.FromMetadata(map.AsReadOnly());
            Assert.Equal(graph, info.Graph);
            Assert.Equal(ModelKind.Svd, info.Kind);
            Assert.Equal("20250607T080910Z-0a1b2c", info.Version);
            Assert.Equal(manifest.CreatedAt, info.CreatedAt);
            Assert.Equal(3, info.Dimension);
            Assert.Equal(9, info.ItemCount);
            Assert.Equal(4, info.UserCount);
            Assert.Equal("synthetic", info.Dataset);
            Assert.Equal(0.3125, info.Metrics["ndcg@10"]);
            Assert.Equal(0.5, info.Metrics["recall@20"]);
            Assert.Equal(0.02, info.Parameters["reg"]);
        }
    }

    [Theory]
    [InlineData(GraphOptimizationLevel.ORT_DISABLE_ALL)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_BASIC)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_EXTENDED)]
    [InlineData(GraphOptimizationLevel.ORT_ENABLE_ALL)]
    public void EveryOptimisationLevelLoadsAndGivesTheSameTopItems(GraphOptimizationLevel level)
    {
        var model = TestModels.Random(users: 2, items: 40, dimension: 6, seed: 9);
        var path = TestModels.Export(model, _folder.Path);
        using var options = new SessionOptions { GraphOptimizationLevel = level };
        using var session = new InferenceSession(path, options);

        var (_, _, topItems) = RunFull(session, model, [0, 1], mask: null, k: 5);

        var expected = new float[model.ItemCount];
        model.ScoreAll(1, expected);
        Assert.Equal(TestModels.ReferenceTopK(expected, 5), topItems.Skip(5).Select(i => (int)i));
    }

    [Fact]
    public void SignatureNamesTypesAndFixedDimensionsAreThoseOfTheContract()
    {
        var model = TestModels.Random(users: 2, items: 13, dimension: 7, seed: 1);
        var path = TestModels.Export(model, _folder.Path);
        using var session = new InferenceSession(path);

        Assert.Equal(
            [OnnxContract.UserVectorsInput, OnnxContract.UserBiasInput, OnnxContract.ExclusionMaskInput, OnnxContract.KInput],
            session.InputNames);
        Assert.Equal([OnnxContract.ScoresOutput, OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput], session.OutputNames);
        Assert.Equal([-1, 7], session.InputMetadata[OnnxContract.UserVectorsInput].Dimensions);
        Assert.Equal(typeof(bool), session.InputMetadata[OnnxContract.ExclusionMaskInput].ElementType);
        Assert.Equal([-1, 13], session.OutputMetadata[OnnxContract.ScoresOutput].Dimensions);
        Assert.Equal(typeof(long), session.OutputMetadata[OnnxContract.TopItemsOutput].ElementType);

        var popularity = TestModels.Random(users: 2, items: 13, dimension: 0, seed: 1);
        using var popularitySession = new InferenceSession(TestModels.Export(popularity, _folder.Path, "20250101T000000Z-000000"));
        Assert.DoesNotContain(OnnxContract.UserVectorsInput, popularitySession.InputNames);
    }

    [Fact]
    public void ExportRefusesAManifestThatDescribesAnotherModel()
    {
        var model = TestModels.Random(users: 2, items: 13, dimension: 7, seed: 1);
        var manifest = TestModels.Manifest(model) with { ItemCount = 14 };
        var error = Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(model, manifest, OnnxScoringGraph.FullCatalogue));
        Assert.Contains("14 items", error.Message);

        var wrongKind = TestModels.Manifest(model) with { Kind = "bpr" };
        Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(model, wrongKind, OnnxScoringGraph.FullCatalogue));
    }

    [Fact]
    public void ExportRefusesNonFiniteItemWeights()
    {
        var model = TestModels.Random(users: 2, items: 5, dimension: 2, seed: 1);
        model.ItemVectors[3] = float.NaN;
        var error = Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(model, TestModels.Manifest(model), OnnxScoringGraph.Candidates));
        Assert.Contains("non-finite", error.Message);
    }

    [Fact]
    public void ExportWritesAllThreeGraphsAndLeavesNoStagingFiles()
    {
        var model = TestModels.Random(users: 2, items: 5, dimension: 2, seed: 1);
        var manifest = TestModels.Manifest(model);
        var path = OnnxExporter.DefaultPath(manifest, _folder.Path);

        var result = OnnxExporter.Export(model, manifest, path);

        Assert.Equal(Path.Combine(_folder.Path, $"svd-{manifest.Version}.onnx"), result.FullCataloguePath);
        Assert.Equal(Path.Combine(_folder.Path, $"svd-{manifest.Version}.candidates.onnx"), result.CandidatesPath);
        Assert.Equal(Path.Combine(_folder.Path, $"svd-{manifest.Version}.scores.onnx"), result.ItemScoresPath);
        Assert.Equal(new FileInfo(result.FullCataloguePath).Length, result.FullCatalogueBytes);
        Assert.Equal(new FileInfo(result.CandidatesPath).Length, result.CandidatesBytes);
        Assert.Equal(new FileInfo(result.ItemScoresPath!).Length, result.ItemScoresBytes);
        Assert.Equal(3, Directory.GetFiles(_folder.Path).Length);
    }

    [Fact]
    public void APopularityModelHasNoServingGraph()
    {
        var model = TestModels.Random(users: 2, items: 5, dimension: 0, seed: 1);
        var manifest = TestModels.Manifest(model);

        var result = OnnxExporter.Export(model, manifest, OnnxExporter.DefaultPath(manifest, _folder.Path));

        Assert.Null(result.ItemScoresPath);
        Assert.Equal(2, Directory.GetFiles(_folder.Path).Length);
        Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(model, manifest, OnnxScoringGraph.ItemScores));
    }

    [Theory]
    [InlineData(1, 51)]
    [InlineData(9, 52)]
    [InlineData(64, 53)]
    public void ServingGraphScoresAreTheModelScoresWithoutTheUserBias(int dimension, int seed)
    {
        var model = TestModels.Random(users: 7, items: 211, dimension, seed);
        var path = OnnxContract.ItemScoresPathFor(TestModels.Export(model, _folder.Path));
        using var session = new InferenceSession(path);
        var users = Enumerable.Range(0, model.UserCount).ToArray();
        var vectors = users.SelectMany(u => model.UserVector(u).ToArray()).ToArray();

        using var input = OrtValue.CreateTensorValueFromMemory(vectors, [users.Length, dimension]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [OnnxContract.UserVectorsInput], [input], [OnnxContract.ItemScoresOutput]);
        var scores = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal(users.Length * model.ItemCount, scores.Length);
        var expected = new float[model.ItemCount];
        foreach (var user in users)
        {
            model.ScoreAll(user, expected);
            for (var item = 0; item < model.ItemCount; item++)
            {
                var withoutUserBias = expected[item] - model.UserBias[user];
                var tolerance = TestModels.Tolerance(model, model.UserVector(user), model.UserBias[user], item);
                Assert.True(Math.Abs(scores[user * model.ItemCount + item] - withoutUserBias) <= tolerance,
                    $"user {user} item {item}: onnx {scores[user * model.ItemCount + item]} vs model {withoutUserBias}");
            }
        }
    }

    [Fact]
    public void ServingGraphSignatureAndMetadataAreThoseOfContractTwo()
    {
        var model = TestModels.Random(users: 2, items: 13, dimension: 7, seed: 1);
        var path = OnnxContract.ItemScoresPathFor(TestModels.Export(model, _folder.Path));
        using var session = new InferenceSession(path);

        Assert.Equal([OnnxContract.UserVectorsInput], session.InputNames);
        Assert.Equal([OnnxContract.ItemScoresOutput], session.OutputNames);
        Assert.Equal([-1, 7], session.InputMetadata[OnnxContract.UserVectorsInput].Dimensions);
        Assert.Equal([-1, 13], session.OutputMetadata[OnnxContract.ItemScoresOutput].Dimensions);
        var map = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("2", map[OnnxMetadataKeys.ContractVersion]);
        Assert.Equal("item_scores", map[OnnxMetadataKeys.Graph]);
        Assert.Equal(OnnxScoringGraph.ItemScores, OnnxModelInfo.FromMetadata(map.AsReadOnly()).Graph);
    }

    [Fact]
    public void ContractOneFilesCanStillBeWrittenAndOnlyKnownVersionsAreRead()
    {
        var model = TestModels.Random(users: 2, items: 13, dimension: 3, seed: 1);
        var manifest = TestModels.Manifest(model);
        var path = Path.Combine(_folder.Path, "v1.onnx");
        OnnxExporter.ExportGraph(model, manifest, OnnxScoringGraph.FullCatalogue, path, contractVersion: "1");
        using (var session = new InferenceSession(path))
        {
            var map = session.ModelMetadata.CustomMetadataMap.AsReadOnly();
            Assert.Equal("1", map[OnnxMetadataKeys.ContractVersion]);
            Assert.Equal("1", OnnxModelInfo.FromMetadata(map).ContractVersion);
        }
        Assert.Throws<ArgumentException>(() => OnnxExporter.Serialize(model, manifest, OnnxScoringGraph.ItemScores, contractVersion: "1"));
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxExporter.Serialize(model, manifest, OnnxScoringGraph.FullCatalogue, contractVersion: "3"));

        var metadata = OnnxModelInfo.ToMetadata(manifest, OnnxScoringGraph.FullCatalogue).ToDictionary();
        metadata[OnnxMetadataKeys.ContractVersion] = "3";
        var unknown = Assert.Throws<InvalidDataException>(() => OnnxModelInfo.FromMetadata(metadata));
        Assert.Contains("'3' is not supported", unknown.Message);
        metadata[OnnxMetadataKeys.ContractVersion] = "1";
        metadata[OnnxMetadataKeys.Graph] = "item_scores";
        var tooOld = Assert.Throws<InvalidDataException>(() => OnnxModelInfo.FromMetadata(metadata));
        Assert.Contains("does not exist in scoring contract version '1'", tooOld.Message);
    }

    private static (float[] Scores, float[] TopScores, long[] TopItems) RunFull(InferenceSession session, EmbeddingModel model, int[] users, bool[]? mask, int k)
    {
        using var inputs = new DisposableList();
        var names = UserInputs(model, users, inputs);
        names.Add(OnnxContract.ExclusionMaskInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(mask ?? new bool[users.Length * model.ItemCount], [users.Length, model.ItemCount]));
        names.Add(OnnxContract.KInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(new long[] { k }, [1]));
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, names, inputs,
            [OnnxContract.ScoresOutput, OnnxContract.TopScoresOutput, OnnxContract.TopItemsOutput]);
        return (outputs[0].GetTensorDataAsSpan<float>().ToArray(), outputs[1].GetTensorDataAsSpan<float>().ToArray(),
            outputs[2].GetTensorDataAsSpan<long>().ToArray());
    }

    private static List<string> UserInputs(EmbeddingModel model, int[] users, DisposableList inputs)
    {
        var names = new List<string>();
        if (model.Dimension > 0)
        {
            var vectors = users.SelectMany(u => model.UserVector(u).ToArray()).ToArray();
            names.Add(OnnxContract.UserVectorsInput);
            inputs.Add(OrtValue.CreateTensorValueFromMemory(vectors, [users.Length, model.Dimension]));
        }
        names.Add(OnnxContract.UserBiasInput);
        inputs.Add(OrtValue.CreateTensorValueFromMemory(users.Select(u => model.UserBias[u]).ToArray(), [users.Length]));
        return names;
    }

    private sealed class DisposableList : List<OrtValue>, IDisposable
    {
        public void Dispose()
        {
            foreach (var value in this) value.Dispose();
        }
    }
}
