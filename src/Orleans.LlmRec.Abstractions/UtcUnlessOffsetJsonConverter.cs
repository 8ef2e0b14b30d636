using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.LlmRec.Abstractions;

/// <summary>
/// ISO 8601 timestamps where a missing offset means UTC, as the Redis Streams consumer reads them. System.Text.Json's
/// own reading would give such a timestamp the server's local offset, so the same event sent over HTTP and over
/// Redis Streams would land at different instants on a server outside UTC.
/// </summary>
public sealed class UtcUnlessOffsetJsonConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTime(out var parsed) && parsed.Kind == DateTimeKind.Unspecified)
        {
            return new DateTimeOffset(parsed, TimeSpan.Zero);
        }
        // With an offset (or not a date at all, which the serializer reports as malformed JSON at this path).
        return reader.GetDateTimeOffset();
    }

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
