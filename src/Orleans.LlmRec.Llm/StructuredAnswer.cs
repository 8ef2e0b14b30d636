using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// Reads a structured answer leniently. Servers without JSON-schema support (and some with it) wrap the JSON in a
/// Markdown fence or a sentence, write ids as numbers or scores as strings; this accepts those and nothing looser.
/// </summary>
internal static class StructuredAnswer
{
    public static JsonSerializerOptions SerializerOptions { get; } = CreateOptions();

    public static bool TryRead<T>(ChatResponse<T> response, out T value)
        where T : class
    {
        try
        {
            if (response.TryGetResult(out var result) && result is not null)
            {
                value = result;
                return true;
            }
        }
        catch (JsonException)
        {
            // Fall through to the lenient reading.
        }
        return TryParse(response.Text, out value);
    }

    public static bool TryParse<T>(string? text, out T value)
        where T : class
    {
        value = null!;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        var start = text.IndexOf('{', StringComparison.Ordinal);
        var end = text.LastIndexOf('}');
        if (start < 0 || end <= start)
        {
            return false;
        }
        try
        {
            var parsed = JsonSerializer.Deserialize<T>(text.AsSpan(start, end - start + 1), SerializerOptions);
            if (parsed is null)
            {
                return false;
            }
            value = parsed;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions)
        {
            NumberHandling = JsonNumberHandling.AllowReadingFromString,
            PropertyNameCaseInsensitive = true,
            AllowTrailingCommas = true,
            ReadCommentHandling = JsonCommentHandling.Skip,
        };
        options.Converters.Add(new StringOrNumberConverter());
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }

    /// <summary>Reads a JSON number where a string id is expected (models often drop the quotes of numeric ids).</summary>
    private sealed class StringOrNumberConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => reader.TryGetInt64(out var integer)
                ? integer.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : reader.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            JsonTokenType.Null => null,
            _ => throw new JsonException($"Expected a string or a number, found {reader.TokenType}."),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }
}
