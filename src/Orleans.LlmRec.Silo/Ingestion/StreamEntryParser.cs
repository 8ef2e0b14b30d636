using System.Globalization;
using Orleans.LlmRec.Abstractions;
using StackExchange.Redis;

namespace Orleans.LlmRec.Silo.Ingestion;

/// <summary>
/// Reads one Redis stream entry as an event. Field names are those of <c>POST /v1/events</c>: <c>eventId</c>,
/// <c>userId</c>, <c>itemId</c>, <c>type</c>, <c>value</c> (optional; required for ratings) and <c>timestamp</c>
/// (ISO 8601, or whole Unix seconds). Field names are case-insensitive; unknown fields are ignored.
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
            var name = (string?)field.Name;
            var text = (string?)field.Value;
            if (name is null) continue;
            // The first occurrence wins, as a producer that repeats a field most likely appended by mistake.
            if (Is(name, EventIdField)) eventId ??= text;
            else if (Is(name, UserIdField)) userId ??= text;
            else if (Is(name, ItemIdField)) itemId ??= text;
            else if (Is(name, TypeField)) type ??= text;
            else if (Is(name, ValueField)) value ??= text;
            else if (Is(name, TimestampField)) timestamp ??= text;
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

    private static bool Is(string name, string field) => string.Equals(name, field, StringComparison.OrdinalIgnoreCase);

    // Error text lands in logs and the dead-letter stream; a multi-megabyte field must not.
    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
