using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>What a side entry describes.</summary>
public enum SideEntryKind
{
    /// <summary>A user's preference profile (LLMRec's user profiling).</summary>
    User,

    /// <summary>An item's description (imported, e.g. a plot summary).</summary>
    Item,

    /// <summary>An item's attributes (genres, themes, director, language, country) written by an LLM: LLMRec's item-attribute enhancement.</summary>
    ItemAttributes,
}

/// <summary>
/// One piece of augmented side text with its provenance: <see cref="Source"/> says who wrote it, such as
/// <c>llm:llama3.1:8b</c> or <c>import:preferences.csv</c>, so LLM output and imported text are never confused.
/// </summary>
public sealed record SideEntry(SideEntryKind Kind, string Id, string Text, string Source);

/// <summary>
/// LLMRec's user-profile and item-attribute augmentation, kept beside the triples file as JSON Lines
/// (<c>{"kind":"user","id":"42","text":"…","source":"…"}</c>). The augmentation prompts read profiles and item text from
/// it; a later entry for the same kind and id replaces an earlier one.
/// </summary>
public static class AugmentationSideFile
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
    };

    public static async Task WriteAsync(string path, IEnumerable<SideEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(entries);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        await using var writer = new StreamWriter(path, append: false, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        foreach (var entry in entries)
        {
            await writer.WriteLineAsync(JsonSerializer.Serialize(entry, JsonOptions).AsMemory(), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <exception cref="InvalidDataException">A line is not a complete entry; the message names the line.</exception>
    public static async Task<IReadOnlyList<SideEntry>> ReadAllAsync(string path, CancellationToken cancellationToken = default) =>
        Parse(path, await File.ReadAllLinesAsync(path, cancellationToken).ConfigureAwait(false));

    /// <summary>As <see cref="ReadAllAsync"/>, for start-up code that reads synchronously.</summary>
    public static IReadOnlyList<SideEntry> ReadAll(string path) => Parse(path, File.ReadAllLines(path));

    private static List<SideEntry> Parse(string path, string[] lines)
    {
        var entries = new List<SideEntry>();
        var lineNumber = 0;
        foreach (var line in lines)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            SideEntry? entry;
            try
            {
                entry = JsonSerializer.Deserialize<SideEntry>(line, JsonOptions);
            }
            catch (JsonException exception)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a side entry ({exception.Message}).", exception);
            }
            if (entry is null || string.IsNullOrWhiteSpace(entry.Id) || entry.Text is null || entry.Source is null)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: a side entry needs kind, id, text and source.");
            }
            entries.Add(entry);
        }
        return entries;
    }

    /// <summary>The latest text per id of one kind.</summary>
    public static Dictionary<string, string> TextsOf(IEnumerable<SideEntry> entries, SideEntryKind kind)
    {
        var texts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            if (entry.Kind == kind)
            {
                texts[entry.Id] = entry.Text;
            }
        }
        return texts;
    }

    /// <summary>
    /// The text prompts show for each item with side text: its attributes, then its description, whichever exist
    /// (attributes first: they are short and survive the prompts' description cut-off).
    /// </summary>
    public static Dictionary<string, string> ItemTexts(IEnumerable<SideEntry> entries)
    {
        var list = entries as IReadOnlyCollection<SideEntry> ?? [.. entries];
        var descriptions = TextsOf(list, SideEntryKind.Item);
        var attributes = TextsOf(list, SideEntryKind.ItemAttributes);
        var texts = new Dictionary<string, string>(descriptions, StringComparer.Ordinal);
        foreach (var (id, text) in attributes)
        {
            texts[id] = descriptions.TryGetValue(id, out var description) ? $"{text}. {description}" : text;
        }
        return texts;
    }

    /// <summary>Imported texts as entries, labelled <c>import:&lt;file name&gt;</c>, in id order.</summary>
    public static IEnumerable<SideEntry> Imported(SideEntryKind kind, IReadOnlyDictionary<string, string> texts, string sourcePath) =>
        texts.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => new SideEntry(kind, p.Key, p.Value, "import:" + Path.GetFileName(sourcePath)));
}
