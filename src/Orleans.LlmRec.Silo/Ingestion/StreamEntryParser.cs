using System.Globalization;
using System.Text;
using System.Text.Unicode;
using Orleans.LlmRec.Abstractions;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Reads one Redis stream entry as an event. Field names are those of <c>POST /v1/events</c>: <c>eventId</c>,
/// <c>userId</c>, <c>itemId</c>, <c>type</c>, <c>value</c> (optional; required for ratings) and <c>timestamp</c>
/// (ISO 8601, or whole Unix seconds). Field names are case-insensitive; unknown fields are ignored. Every name and
/// value must be valid UTF-8: an entry that is not is refused with the reason (and dead-lettered), never decoded lossily.
/// Only the shape is checked here; the rules (known item, rating range, clock skew) are <c>EventBatchValidator</c>'s.
/// </summary>
public static class StreamEntryParser
{
    public const string EventIdField = "eventId";
    public const string UserIdField = "userId";
    public const string ItemIdField = "itemId";
    public const string TypeField = "type";
    public const string ValueField = "value";
    public const string TimestampField = "timestamp";

    /// <summary>The event, or why the entry can never become one.</summary>
    public static bool TryParse(NameValueEntry[]? fields, out IncomingEvent incoming, out string? error)
    {
        incoming = new IncomingEvent();
        error = null;
        if (fields is null || fields.Length == 0)
        {
            error = "the entry has no fields";
            return false;
        }

        string? eventId = null, userId = null, itemId = null, type = null, value = null, timestamp = null;
        foreach (var field in fields)
        {
            // Redis keeps bytes. Decoding invalid UTF-8 would replace it with U+FFFD and apply the event to a user or
            // item nobody sent ("���"), so such an entry is refused whole, before any field is read as text.
            if (!IsUtf8(field.Name) || !IsUtf8(field.Value))
            {
                var which = IsUtf8(field.Name) ? $"the value of field '{Shorten((string?)field.Name ?? "")}'" : "a field name";
                error = $"{which} is not valid UTF-8";
                return false;
            }
            if (field.Name.IsNull) continue;
            // Names are matched on their bytes (the u8 spellings of the field constants above): no string per field
            // name, six per entry, just to find the field.
            var name = ((ReadOnlyMemory<byte>)field.Name).Span;
            var text = (string?)field.Value;
            // A field given twice is ambiguous (which user, which time?): refused, as POST /v1/events refuses it.
            var known = Is(name, "eventId"u8) ? Take(ref eventId, text)
                : Is(name, "userId"u8) ? Take(ref userId, text)
                : Is(name, "itemId"u8) ? Take(ref itemId, text)
                : Is(name, "type"u8) ? Take(ref type, text)
                : Is(name, "value"u8) ? Take(ref value, text)
                : Is(name, "timestamp"u8) ? Take(ref timestamp, text)
                : (bool?)null;
            if (known == false)
            {
                error = $"field '{Shorten((string)field.Name!)}' is given more than once";
                return false;
            }
        }

        float? rating = null;
        if (!string.IsNullOrWhiteSpace(value))
        {
            if (!float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed))
            {
                error = $"value '{Shorten(value)}' is not a number";
                return false;
            }
            rating = parsed;
        }

        DateTimeOffset? at = null;
        if (!string.IsNullOrWhiteSpace(timestamp))
        {
            if (!TryParseTimestamp(timestamp, out var parsed))
            {
                error = $"timestamp '{Shorten(timestamp)}' is neither ISO 8601 (2025-06-07T08:09:10Z) nor whole Unix seconds";
                return false;
            }
            at = parsed;
        }

        incoming = new IncomingEvent { EventId = eventId, UserId = userId, ItemId = itemId, Type = type, Value = rating, Timestamp = at };
        return true;
    }

    /// <summary>ISO 8601 (a missing offset means UTC), or whole seconds since the Unix epoch.</summary>
    public static bool TryParseTimestamp(string text, out DateTimeOffset timestamp)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds))
        {
            timestamp = default;
            if (seconds < DateTimeOffset.MinValue.ToUnixTimeSeconds() || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds()) return false;
            timestamp = DateTimeOffset.FromUnixTimeSeconds(seconds);
            return true;
        }
        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out timestamp);
    }

    private static bool IsUtf8(RedisValue value) => value.IsNull || Utf8.IsValid(((ReadOnlyMemory<byte>)value).Span);

    /// <summary>Keeps <paramref name="text"/> in <paramref name="slot"/>; false when the slot already held a value.</summary>
    private static bool Take(ref string? slot, string? text)
    {
        if (slot is not null) return false;
        slot = text ?? "";
        return true;
    }

    private static bool Is(ReadOnlySpan<byte> name, ReadOnlySpan<byte> field) => Ascii.EqualsIgnoreCase(name, field);

    // Error text lands in logs and the dead-letter stream; a multi-megabyte field must not.
    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
