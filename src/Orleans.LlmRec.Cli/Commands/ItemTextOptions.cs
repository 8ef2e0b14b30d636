using System.CommandLine;
using System.Diagnostics;
using Microsoft.Extensions.AI;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Text;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// The item-text options of <c>train</c> and <c>eval-cold</c>: where descriptions come from and which encoder turns
/// text into vectors, and the embedding of a catalogue's texts with a progress bar.
/// </summary>
internal sealed class ItemTextOptions
{
    public const string DescriptionsFile = "descriptions.csv";

    public Option<string?> Descriptions { get; } = new("--descriptions")
    {
        Description = $"Item descriptions CSV (movieId,description). Default: {DescriptionsFile} in the data folder when there is one (llmrec data synth --text writes it).",
    };

    public Option<string?> Tmdb { get; } = new("--tmdb")
    {
        Description = "TMDB 5000 movies CSV (id, overview): overviews become descriptions of the items whose links.csv tmdbId matches.",
    };

    public Option<string> Encoder { get; } = CreateEncoderOption();

    public Option<string?> Endpoint { get; } = new("--embeddings-endpoint") { Description = "openai encoder: base address of an OpenAI-compatible API including /v1; the key is read from LLMREC_EMBEDDINGS_API_KEY." };
    public Option<string?> Model { get; } = new("--embeddings-model") { Description = "openai encoder: embedding model name." };

    private static Option<string> CreateEncoderOption()
    {
        var option = new Option<string>("--text-encoder") { Description = "Sentence encoder for item text: minilm (all-MiniLM-L6-v2 in process) or openai (--embeddings-endpoint).", DefaultValueFactory = _ => "minilm" };
        option.AcceptOnlyFromAmong("minilm", "openai");
        return option;
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Descriptions);
        command.Options.Add(Tmdb);
        command.Options.Add(Encoder);
        command.Options.Add(Endpoint);
        command.Options.Add(Model);
    }

    /// <summary>The data set with the descriptions the options name (or the data folder holds); prints what it attached.</summary>
    public RatingsDataset Attach(ParseResult result, RatingsDataset dataset, string dataPath)
    {
        var descriptions = result.GetValue(Descriptions);
        if (descriptions is null && Directory.Exists(dataPath) && File.Exists(Path.Combine(dataPath, DescriptionsFile)))
        {
            descriptions = Path.Combine(dataPath, DescriptionsFile);
        }
        if (descriptions is not null)
        {
            dataset = ItemTextLoader.AttachDescriptions(dataset, descriptions);
            AnsiConsole.MarkupLineInterpolated($"Item descriptions from {descriptions}: {dataset.ItemInfo.Values.Count(i => i.Description is not null):N0} items");
        }
        if (result.GetValue(Tmdb) is { } tmdb)
        {
            (dataset, var matched) = ItemTextLoader.WithTmdbOverviews(dataset, tmdb);
            AnsiConsole.MarkupLineInterpolated($"TMDB overviews from {tmdb}: {matched:N0} items matched by tmdbId");
        }
        return dataset;
    }

    /// <summary>True when the options or the data folder name a source of descriptions.</summary>
    public bool HasDescriptionSource(ParseResult result, string dataPath) =>
        result.GetValue(Descriptions) is not null || result.GetValue(Tmdb) is not null
        || (Directory.Exists(dataPath) && File.Exists(Path.Combine(dataPath, DescriptionsFile)));

    public IEmbeddingGenerator<string, Embedding<float>> CreateEncoder(ParseResult result)
    {
        var options = result.GetValue(Encoder) == "openai"
            ? new TextEmbeddingOptions
            {
                Provider = TextEmbeddingProvider.OpenAI,
                Endpoint = result.GetValue(Endpoint) ?? throw new CliUsageException("--text-encoder openai needs --embeddings-endpoint."),
                Model = result.GetValue(Model) ?? throw new CliUsageException("--text-encoder openai needs --embeddings-model."),
            }
            : new TextEmbeddingOptions { Provider = TextEmbeddingProvider.MiniLM };
        return TextEmbeddingGenerators.Create(options)!;
    }

    /// <summary>Vectors for <paramref name="texts"/>, in order, with a progress bar; unit length (MiniLM's already are).</summary>
    public static async Task<float[][]> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> encoder, IReadOnlyList<string> texts, string label, CancellationToken cancellationToken)
    {
        const int chunk = 256;
        var vectors = new float[texts.Count][];
        var watch = Stopwatch.StartNew();
        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask($"embedding {label}", maxValue: texts.Count);
                for (var start = 0; start < texts.Count; start += chunk)
                {
                    var batch = texts.Skip(start).Take(chunk).ToArray();
                    var embeddings = await encoder.GenerateAsync(batch, cancellationToken: cancellationToken);
                    for (var k = 0; k < batch.Length; k++) vectors[start + k] = Unit(embeddings[k].Vector.ToArray());
                    task.Increment(batch.Length);
                }
            });
        AnsiConsole.MarkupLineInterpolated($"Embedded {texts.Count:N0} item texts ({label}) with {TextEmbeddingGenerators.IdentityOf(encoder)} in {watch.Elapsed.TotalSeconds:F1} s ({texts.Count / Math.Max(watch.Elapsed.TotalSeconds, 1e-9):F0} texts/s)");
        if (encoder is MiniLmEmbeddingGenerator { IsLoaded: true } miniLm)
        {
            AnsiConsole.MarkupLineInterpolated($"MiniLM model load: {miniLm.LoadTime.TotalSeconds:F2} s, working set +{miniLm.LoadMemoryBytes / (1024.0 * 1024.0):F0} MB");
        }
        return vectors;
    }

    private static float[] Unit(float[] vector)
    {
        var norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(vector);
        if (norm > 0 && Math.Abs(norm - 1) > 1e-4) System.Numerics.Tensors.TensorPrimitives.Divide(vector, norm, vector);
        return vector;
    }
}
