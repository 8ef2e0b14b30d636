using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Llm.Offline.Augmentation;

/// <summary>
/// The augmented-edges file: JSON Lines, one <see cref="AugmentedTriple"/> per line with short property names
/// (<c>user, pos, neg, model, promptSha256, createdAt</c>). Appending keeps earlier runs; a run interrupted mid-line
/// leaves at most one unreadable last line, which the reader reports with its line number.
/// </summary>
public static class AugmentedTripleFile
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    /// <summary>Opens <paramref name="path"/> for writing triples (appending when <paramref name="append"/>).</summary>
    public static AugmentedTripleWriter CreateWriter(string path, bool append = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var stream = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read);
        return new AugmentedTripleWriter(new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)));
    }

    /// <summary>Reads every triple of <paramref name="path"/>; blank lines are skipped.</summary>
    /// <exception cref="InvalidDataException">A line is not a complete triple; the message names the line.</exception>
    public static async Task<IReadOnlyList<AugmentedTriple>> ReadAllAsync(string path, CancellationToken cancellationToken = default)
    {
        var triples = new List<AugmentedTriple>();
        await foreach (var triple in ReadAsync(path, cancellationToken).ConfigureAwait(false))
        {
            triples.Add(triple);
        }
        return triples;
    }

    /// <summary>Streams the triples of <paramref name="path"/> (for files too large to hold).</summary>
    public static async IAsyncEnumerable<AugmentedTriple> ReadAsync(
        string path, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        var lineNumber = 0;
        while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            yield return Parse(line, path, lineNumber);
        }
    }

    internal static string Format(AugmentedTriple triple) =>
        JsonSerializer.Serialize(new TripleLine(triple.UserId, triple.PositiveItemId, triple.NegativeItemId, triple.Model,
            triple.PromptSha256, triple.CreatedAt), JsonOptions);

    private static AugmentedTriple Parse(string line, string path, int lineNumber)
    {
        TripleLine? parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<TripleLine>(line, JsonOptions);
        }
        catch (JsonException exception)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: not a JSON triple ({exception.Message}).", exception);
        }
        if (parsed is null
            || string.IsNullOrWhiteSpace(parsed.User)
            || string.IsNullOrWhiteSpace(parsed.Pos)
            || string.IsNullOrWhiteSpace(parsed.Neg)
            || parsed.Model is null
            || parsed.PromptSha256 is null)
        {
            throw new InvalidDataException($"{path}:{lineNumber}: a triple needs user, pos, neg, model and promptSha256.");
        }
        if (string.Equals(parsed.Pos, parsed.Neg, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}:{lineNumber}: pos and neg are the same item '{parsed.Pos}'.");
        }
        return new AugmentedTriple(parsed.User, parsed.Pos, parsed.Neg, parsed.Model, parsed.PromptSha256, parsed.CreatedAt);
    }

    private sealed record TripleLine(
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("pos")] string Pos,
        [property: JsonPropertyName("neg")] string Neg,
        [property: JsonPropertyName("model")] string Model,
        [property: JsonPropertyName("promptSha256")] string PromptSha256,
        [property: JsonPropertyName("createdAt")] DateTimeOffset CreatedAt);
}

/// <summary>Writes triples one line each; safe to call from several augmentation tasks at once.</summary>
public sealed class AugmentedTripleWriter : IAsyncDisposable
{
    private readonly StreamWriter _writer;
    private readonly SemaphoreSlim _gate = new(1, 1);

    internal AugmentedTripleWriter(StreamWriter writer) => _writer = writer;

    public int Written { get; private set; }

    public async Task WriteAsync(AugmentedTriple triple, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(triple);
        var line = AugmentedTripleFile.Format(triple);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Whole lines only, flushed each time: a crash loses at most the line being written.
            await _writer.WriteLineAsync(line.AsMemory(), cancellationToken).ConfigureAwait(false);
            await _writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            Written++;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
