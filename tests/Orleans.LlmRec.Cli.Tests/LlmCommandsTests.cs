using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orleans.LlmRec.Cli.Commands;
using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.Cli.Tests;

/// <summary>
/// <c>llmrec augment</c> and the LLM-layer arms of <c>llmrec eval</c>, end to end on a small MovieLens-shaped data set:
/// eight users, half of whom rate space films highly and romances low, and half the other way round.
/// </summary>
public sealed class LlmCommandsTests : IAsyncLifetime
{
    private static readonly int[] SpaceMovies = [.. Enumerable.Range(1, 12)];
    private static readonly int[] Romances = [.. Enumerable.Range(13, 12)];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmrec-cli-" + Guid.NewGuid().ToString("N"));
    private ScriptedOpenAiServer _server = null!;

    private string Data => Path.Combine(_directory, "data");
    private string Preferences => Path.Combine(_directory, "preferences.csv");
    private string Descriptions => Path.Combine(_directory, "descriptions.csv");
    private string ModelDirectory => Path.Combine(_directory, "model");

    public async Task InitializeAsync()
    {
        _server = await ScriptedOpenAiServer.StartAsync();
        Directory.CreateDirectory(Data);
        var movies = new List<string> { "movieId,title,genres" };
        var descriptions = new List<string> { "movieId,description" };
        for (var m = 1; m <= 24; m++)
        {
            var space = SpaceMovies.Contains(m);
            movies.Add(space ? $"{m},Star Voyage {m} (19{80 + m}),Sci-Fi|Adventure" : $"{m},Paris Letters {m} (19{80 + m}),Romance|Drama");
            descriptions.Add(space ? $"{m},\"A starship crew battles aliens across deep space.\"" : $"{m},\"Two strangers fall in love on a rainy spring in Paris.\"");
        }
        var ratings = new List<string> { "userId,movieId,rating,timestamp" };
        var preferences = new List<string> { "userId,preferences" };
        for (var u = 1; u <= 8; u++)
        {
            var likesSpace = u <= 4;
            var (own, other) = likesSpace ? (SpaceMovies, Romances) : (Romances, SpaceMovies);
            // Eight favourites and four duds each: more than the ten a profile was written from, so the leak check
            // leaves some hold-outs.
            for (var k = 0; k < 8; k++) ratings.Add($"{u},{own[(u + k) % 12]},5.0,{1000 + 20 * u + k}");
            for (var k = 0; k < 4; k++) ratings.Add($"{u},{other[(u + k) % 12]},1.0,{1000 + 20 * u + 10 + k}");
            preferences.Add(likesSpace ? $"{u},\"I love space adventures with starships and aliens.\"" : $"{u},\"I enjoy love stories set in Paris.\"");
        }
        await File.WriteAllLinesAsync(Path.Combine(Data, "movies.csv"), movies);
        await File.WriteAllLinesAsync(Path.Combine(Data, "ratings.csv"), ratings);
        await File.WriteAllLinesAsync(Descriptions, descriptions);
        await File.WriteAllLinesAsync(Preferences, preferences);
        Assert.Equal(0, await RunAsync("train", "--data", Data, "--model", "bpr", "--epochs", "30", "--out", ModelDirectory));
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        if (Directory.Exists(_directory)) Directory.Delete(_directory, recursive: true);
    }

    private static Task<int> RunAsync(params string[] args) =>
        new RootCommand { TrainCommand.Create(), EvalCommand.Create(), AugmentCommand.Create() }.Parse(args).InvokeAsync();

    private static HashSet<(string User, string Item)> Rated(string dataDirectory) =>
        File.ReadAllLines(Path.Combine(dataDirectory, "ratings.csv")).Skip(1).Select(l => l.Split(',')).Select(f => (f[0], f[1])).ToHashSet();

    [Fact]
    public async Task Augment_asks_the_llm_per_user_and_writes_validated_triples_and_the_side_text_its_prompts_used()
    {
        // The scripted "LLM" likes the first candidate it is shown and dislikes the last.
        _server.Fallback = request =>
        {
            var message = request.LastUserMessage;
            var start = message.IndexOf("<data>", StringComparison.Ordinal) + "<data>".Length;
            var data = JsonNode.Parse(message[start..message.LastIndexOf("</data>", StringComparison.Ordinal)])!;
            var candidates = data["candidates"]!.AsArray();
            return ScriptedReply.Json(new { likedItemId = (string)candidates[0]!["itemId"]!, dislikedItemId = (string)candidates[^1]!["itemId"]! });
        };
        var triplesPath = Path.Combine(_directory, "triples.jsonl");

        var exit = await RunAsync("augment", "--data", Data, "--model-dir", ModelDirectory, "--candidates", "4", "--out", triplesPath,
            "--endpoint", _server.BaseAddress.ToString(), "--model", "stub-model", "--api-key-env", "LLMREC_CLI_TEST_NO_KEY",
            "--profiles", Preferences, "--descriptions", Descriptions);

        Assert.Equal(0, exit);
        var triples = await AugmentedTripleFile.ReadAllAsync(triplesPath);
        Assert.Equal(Enumerable.Range(1, 8).Select(u => u.ToString()), triples.Select(t => t.UserId).Order(StringComparer.Ordinal));
        var rated = Rated(Data);
        Assert.All(triples, t =>
        {
            Assert.DoesNotContain((t.UserId, t.PositiveItemId), rated);
            Assert.DoesNotContain((t.UserId, t.NegativeItemId), rated);
            Assert.NotEqual(t.PositiveItemId, t.NegativeItemId);
            Assert.Equal("stub-model", t.Model);
            Assert.Matches("^[0-9a-f]{64}$", t.PromptSha256);
        });
        Assert.Equal(8, _server.RequestCount);
        // The prompts carried the imported profile and the candidates' descriptions.
        Assert.Equal(4, _server.Requests.Count(r => r.LastUserMessage.Contains("starships and aliens", StringComparison.Ordinal)));
        Assert.All(_server.Requests, r =>
        {
            Assert.Contains("\"userProfile\"", r.LastUserMessage, StringComparison.Ordinal);
            // Every candidate has an imported description, and candidates carry theirs into the prompt.
            Assert.True(r.LastUserMessage.Contains("deep space", StringComparison.Ordinal) || r.LastUserMessage.Contains("rainy spring", StringComparison.Ordinal));
        });
        var side = await AugmentationSideFile.ReadAllAsync(Path.ChangeExtension(triplesPath, ".side.jsonl"));
        Assert.Equal(8, side.Count(e => e.Kind == SideEntryKind.User && e.Source == "import:preferences.csv"));
        Assert.Equal(24, side.Count(e => e.Kind == SideEntryKind.Item && e.Source == "import:descriptions.csv"));
    }

    [Fact]
    public async Task Augment_has_the_llm_write_item_attributes_and_profiles_into_the_side_file_and_the_prompts_use_them()
    {
        // The scripted "LLM" answers each kind of prompt: attributes (plus a hallucinated id and a repeat), structured
        // profiles (one malformed), and the liked/disliked pair (first and last candidate).
        var profileCalls = 0;
        _server.Fallback = request =>
        {
            var data = JsonNode.Parse(request.LastUserMessage[(request.LastUserMessage.IndexOf("<data>", StringComparison.Ordinal) + 6)..request.LastUserMessage.LastIndexOf("</data>", StringComparison.Ordinal)])!;
            if (request.SystemMessage.Contains("You describe movies", StringComparison.Ordinal))
            {
                var ids = data["movies"]!.AsArray().Select(m => (string)m!["itemId"]!).ToArray();
                var items = ids.Select(id => (object)new
                {
                    itemId = id,
                    genres = new[] { SpaceMovies.Contains(int.Parse(id)) ? "Space Opera" : "Romantic Comedy" },
                    themes = new[] { SpaceMovies.Contains(int.Parse(id)) ? "interstellar war" : "parisian romance" },
                    director = $"Director {id}",
                }).Append(new { itemId = "999", genres = new[] { "Hallucination" }, themes = Array.Empty<string>(), director = "Nobody" })
                  .Append(new { itemId = ids[0], genres = new[] { "Repeat" }, themes = Array.Empty<string>(), director = "Nobody" });
                return ScriptedReply.Json(new { items });
            }
            if (request.SystemMessage.Contains("structured preference profiles", StringComparison.Ordinal))
            {
                if (Interlocked.Increment(ref profileCalls) == 1) return ScriptedReply.Text("I cannot answer in JSON.");
                var history = string.Join(" ", data["userHistory"]!.AsArray().Select(h => (string)h!));
                var space = history.Split("interstellar war").Length > history.Split("parisian romance").Length;
                return ScriptedReply.Json(new { likedGenres = new[] { space ? "Space Opera" : "Romantic Comedy" }, likedThemes = new[] { space ? "interstellar war" : "parisian romance" }, summary = "The user has clear tastes." });
            }
            var candidates = data["candidates"]!.AsArray();
            return ScriptedReply.Json(new { likedItemId = (string)candidates[0]!["itemId"]!, dislikedItemId = (string)candidates[^1]!["itemId"]! });
        };
        var triplesPath = Path.Combine(_directory, "generated.jsonl");

        var exit = await RunAsync("augment", "--data", Data, "--model-dir", ModelDirectory, "--candidates", "4", "--out", triplesPath,
            "--endpoint", _server.BaseAddress.ToString(), "--model", "stub-model", "--api-key-env", "LLMREC_CLI_TEST_NO_KEY",
            "--generate-attributes", "--attribute-batch", "5", "--generate-profiles", "--descriptions", Descriptions);

        Assert.Equal(0, exit);
        var side = await AugmentationSideFile.ReadAllAsync(Path.ChangeExtension(triplesPath, ".side.jsonl"));
        var attributes = side.Where(e => e.Kind == SideEntryKind.ItemAttributes).ToList();
        // Every film the prompts show (all but film 1, which nobody rated, so it is never a candidate) has attributes;
        // the hallucinated id and the repeats were dropped.
        Assert.Equal(Enumerable.Range(2, 23).Select(i => i.ToString()).Order(StringComparer.Ordinal), attributes.Select(e => e.Id).Order(StringComparer.Ordinal));
        Assert.All(attributes, e =>
        {
            Assert.Equal("llm:stub-model", e.Source);
            Assert.DoesNotContain("Repeat", e.Text, StringComparison.Ordinal);
            Assert.Contains($"director: Director {e.Id}", e.Text, StringComparison.Ordinal);
        });
        Assert.Equal(5, _server.Requests.Count(r => r.SystemMessage.Contains("You describe movies", StringComparison.Ordinal)));
        // Eight profile calls, one malformed: seven LLM profiles, each matching the user's side of the data.
        var profiles = side.Where(e => e.Kind == SideEntryKind.User).ToList();
        Assert.Equal(7, profiles.Count);
        Assert.All(profiles, p =>
        {
            Assert.Equal("llm:stub-model", p.Source);
            Assert.Contains(int.Parse(p.Id) <= 4 ? "interstellar war" : "parisian romance", p.Text, StringComparison.Ordinal);
        });
        // The profile prompts showed each history item's attributes; the augmentation prompts showed the candidates'
        // attributes before their descriptions, and the written profile.
        Assert.All(_server.Requests.Where(r => r.SystemMessage.Contains("structured preference profiles", StringComparison.Ordinal)),
            r => Assert.Contains("; director: Director ", r.LastUserMessage, StringComparison.Ordinal));
        var augmentation = _server.Requests.Where(r => r.SystemMessage.Contains("training data", StringComparison.Ordinal)).ToList();
        Assert.Equal(8, augmentation.Count);
        Assert.All(augmentation, r => Assert.Matches("themes: (interstellar war|parisian romance); director: Director [0-9]+\\. (A starship|Two strangers)", r.LastUserMessage));
        Assert.Equal(7, augmentation.Count(r => r.LastUserMessage.Contains("\"userProfile\":\"The user has clear tastes.", StringComparison.Ordinal)));
        Assert.Equal(8, (await AugmentedTripleFile.ReadAllAsync(triplesPath)).Count);

        // llmrec eval --side re-ranks with the side file's profiles and item text.
        var resultsPath = Path.Combine(_directory, "side-eval.json");
        Assert.Equal(0, await RunAsync("eval", "--data", Data, "--protocol", "paper-loo", "--model", "bpr", "--epochs", "20",
            "--rerank", "tfidf", "--side", Path.ChangeExtension(triplesPath, ".side.jsonl"), "--alpha", "1", "--rerank-top", "12", "--out", resultsPath));
        var rows = JsonNode.Parse(await File.ReadAllTextAsync(resultsPath))!.AsArray();
        Assert.Contains(rows, r => (string)r!["model"]! == "bpr+tfidf(a=1,top=12) (leak-checked)");
    }

    [Fact]
    public async Task Augment_refuses_without_an_llm_and_the_labelled_simulation_picks_by_profile_match()
    {
        var triplesPath = Path.Combine(_directory, "simulated.jsonl");
        Assert.Equal(2, await RunAsync("augment", "--data", Data, "--model-dir", ModelDirectory, "--out", triplesPath));

        var exit = await RunAsync("augment", "--data", Data, "--model-dir", ModelDirectory, "--candidates", "12", "--out", triplesPath,
            "--chooser", "simulated-tfidf", "--profiles", Preferences, "--descriptions", Descriptions);

        Assert.Equal(0, exit);
        Assert.Equal(0, _server.RequestCount);
        var triples = await AugmentedTripleFile.ReadAllAsync(triplesPath);
        Assert.Equal(8, triples.Count);
        Assert.All(triples, t =>
        {
            Assert.Equal(ProfileMatchAugmenter.ModelName, t.Model);
            // Every unrated film is a candidate, so the best match is of the user's genre and the worst of the other.
            var likesSpace = int.Parse(t.UserId) <= 4;
            Assert.Equal(likesSpace, SpaceMovies.Contains(int.Parse(t.PositiveItemId)));
            Assert.Equal(likesSpace, !SpaceMovies.Contains(int.Parse(t.NegativeItemId)));
        });
    }

    [Fact]
    public async Task Eval_paper_loo_scores_base_rerank_and_augmentation_arms_raw_and_leak_checked()
    {
        var triplesPath = Path.Combine(_directory, "for-eval.jsonl");
        Assert.Equal(0, await RunAsync("augment", "--data", Data, "--model-dir", ModelDirectory, "--candidates", "12", "--out", triplesPath,
            "--chooser", "simulated-tfidf", "--profiles", Preferences, "--descriptions", Descriptions));
        var resultsPath = Path.Combine(_directory, "loo.json");

        var exit = await RunAsync("eval", "--data", Data, "--protocol", "paper-loo", "--loo-runs", "2", "--model", "bpr", "--epochs", "20",
            "--rerank", "tfidf", "--profiles", Preferences, "--descriptions", Descriptions, "--alpha", "1", "--rerank-top", "12",
            "--augmented", triplesPath, "--aug-rate", "0.5", "--prune", "0.2", "--out", resultsPath);

        Assert.Equal(0, exit);
        var rows = JsonNode.Parse(await File.ReadAllTextAsync(resultsPath))!.AsArray();
        var byModel = rows.ToDictionary(r => (string)r!["model"]!, r => r!["metrics"]!.Deserialize<Dictionary<string, double>>()!);
        Assert.Equal(
            ["bpr", "bpr (leak-checked)", "bpr+tfidf(a=1,top=12)", "bpr+tfidf(a=1,top=12) (leak-checked)", "bpr+aug(rate=0.5,prune=0.2)", "bpr+aug(rate=0.5,prune=0.2) (leak-checked)"],
            byModel.Keys);
        Assert.All(rows, r => Assert.Equal("paper-loo", (string)r!["protocol"]!));
        foreach (var (model, metrics) in byModel)
        {
            // Two runs of one held-out rating for each of the eight users; the leak check only removes cases.
            Assert.Equal(model.EndsWith("(leak-checked)", StringComparison.Ordinal) ? metrics["cases"] : 16, metrics["cases"]);
            Assert.InRange(metrics["cases"], 1, 16);
            Assert.InRange(metrics["relevant_cases"], 0, metrics["cases"]);
            Assert.True(metrics["hr@1"] <= metrics["hr@5"] && metrics["hr@5"] <= metrics["hr@10"], model);
            Assert.True(metrics["chr@1"] <= metrics["chr@5"] && metrics["chr@5"] <= metrics["chr@10"], model);
            Assert.InRange(metrics["hr@10"], 0, 1);
        }
        // Ten of each user's twelve ratings were profile sources: most hold-outs are, and the leak check drops them.
        Assert.True(byModel["bpr (leak-checked)"]["cases"] < 16);
        Assert.Equal(byModel["bpr (leak-checked)"]["cases"], byModel["bpr+tfidf(a=1,top=12) (leak-checked)"]["cases"]);
    }
}
