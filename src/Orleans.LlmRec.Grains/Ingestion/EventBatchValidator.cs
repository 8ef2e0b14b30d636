using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Catalogue;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>The validated events of a batch, or every problem found, keyed by field path (<c>events[3].itemId</c>).</summary>
public sealed record EventBatchValidation(IReadOnlyList<UserEvent> Events, IReadOnlyDictionary<string, string[]> Errors)
{
    public bool IsValid => Errors.Count == 0;
}

/// <summary>
/// Checks a whole batch before anything is applied, so a bad event never leaves a batch half-stored. Unknown users are
/// fine (cold start); unknown items, missing or malformed fields, bad types, out-of-range ratings and timestamps in the
/// future are not. HTTP batches and Redis stream entries go through the same rules, once each.
/// </summary>
public static class EventBatchValidator
{
    /// <summary>Errors listed per response; a batch with more says how many were left out.</summary>
    public const int MaxReportedErrors = 50;

    public static EventBatchValidation Validate(IReadOnlyList<IncomingEvent?>? batch, ItemCatalogue catalogue, IngestionOptions options, DateTimeOffset now, string prefix = "events")
    {
        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var totalErrors = 0;
        void Fail(string field, string message)
        {
            totalErrors++;
            if (errors.Count < MaxReportedErrors || errors.ContainsKey(field))
            {
                (errors.TryGetValue(field, out var list) ? list : errors[field] = []).Add(message);
            }
        }

        if (batch is null)
        {
            Fail(prefix, "the body must be a JSON array of events");
            return Result([], errors, totalErrors);
        }
        if (batch.Count == 0)
        {
            Fail(prefix, "the batch is empty");
            return Result([], errors, totalErrors);
        }

        var events = new List<UserEvent>(batch.Count);
        for (var i = 0; i < batch.Count; i++)
        {
            var at = $"{prefix}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (batch[i] is not { } e)
            {
                Fail(at, "an event must be a JSON object, not null");
                continue;
            }
            if (Check(e, at, catalogue, options, now, Fail) is { } valid) events.Add(valid);
        }
        return Result(events, errors, totalErrors);
    }

    /// <summary>
    /// One event on its own (a Redis stream entry): the event, or every problem found as one line
    /// (<c>userId: is required; timestamp: ...</c>) for the dead-letter stream and the log.
    /// </summary>
    public static bool TryValidateOne(IncomingEvent incoming, ItemCatalogue catalogue, IngestionOptions options, DateTimeOffset now,
        [NotNullWhen(true)] out UserEvent? valid, [NotNullWhen(false)] out string? problems)
    {
        var found = new List<string>();
        valid = Check(incoming, at: "", catalogue, options, now, (field, message) => found.Add($"{field}: {message}"));
        problems = valid is null ? string.Join("; ", found) : null;
        return valid is not null;
    }

    /// <summary>The rules for one event; <paramref name="at"/> prefixes the field names (<c>events[3]</c>, or none).</summary>
    private static UserEvent? Check(IncomingEvent e, string at, ItemCatalogue catalogue, IngestionOptions options, DateTimeOffset now, Action<string, string> fail)
    {
        string Field(string name) => at.Length == 0 ? name : $"{at}.{name}";
        var ok = CheckId(e.EventId, Field("eventId"), options, fail, inPaths: false);
        ok &= CheckId(e.UserId, Field("userId"), options, fail, inPaths: true);
        if (!CheckId(e.ItemId, Field("itemId"), options, fail, inPaths: true))
        {
            ok = false;
        }
        else if (!catalogue.Contains(e.ItemId!))
        {
            fail(Field("itemId"), $"unknown item '{e.ItemId}'");
            ok = false;
        }

        UserEventType type = default;
        if (string.IsNullOrWhiteSpace(e.Type))
        {
            fail(Field("type"), $"is required ({UserEventTypeNames.Expected})");
            ok = false;
        }
        else if (!UserEventTypeNames.TryParse(e.Type, out type))
        {
            fail(Field("type"), $"'{Shorten(e.Type)}' is not an event type: send exactly one of {UserEventTypeNames.Expected} (in any case; no lists, numbers or spaces)");
            ok = false;
        }
        else if (type == UserEventType.Rating)
        {
            if (e.Value is not { } rating)
            {
                fail(Field("value"), "is required for a rating");
                ok = false;
            }
            else if (!float.IsFinite(rating) || rating < options.MinRating || rating > options.MaxRating)
            {
                fail(Field("value"), $"rating {rating.ToString(CultureInfo.InvariantCulture)} is outside [{options.MinRating.ToString(CultureInfo.InvariantCulture)}, {options.MaxRating.ToString(CultureInfo.InvariantCulture)}]");
                ok = false;
            }
        }
        if (e.Value is { } value && !float.IsFinite(value))
        {
            fail(Field("value"), "must be a finite number");
            ok = false;
        }

        if (e.Timestamp is not { } timestamp)
        {
            fail(Field("timestamp"), "is required (ISO 8601 with offset, e.g. 2025-06-07T08:09:10Z)");
            ok = false;
        }
        else if (timestamp > now + options.MaxFutureSkew)
        {
            fail(Field("timestamp"), $"{timestamp:O} lies in the future (more than {options.MaxFutureSkew.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s after the server's clock, {now:O})");
            ok = false;
        }
        else if (timestamp.ToUnixTimeSeconds() <= 0)
        {
            // The epoch itself is what a missing or zeroed clock writes, not a real interaction time.
            fail(Field("timestamp"), $"{timestamp:O} is not after the Unix epoch (1970-01-01T00:00:00Z)");
            ok = false;
        }

        if (!ok) return null;
        return new UserEvent
        {
            EventId = e.EventId!,
            UserId = e.UserId!,
            ItemId = e.ItemId!,
            Type = type,
            Value = type == UserEventType.Rating ? e.Value : null,
            Timestamp = e.Timestamp!.Value,
        };
    }

    private static bool CheckId(string? id, string field, IngestionOptions options, Action<string, string> fail, bool inPaths)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            fail(field, "is required");
            return false;
        }
        if (id.Length > options.MaxIdLength)
        {
            fail(field, $"is {id.Length} characters long; at most {options.MaxIdLength} are allowed");
            return false;
        }
        if (IdRules.Problem(id, inPaths) is { } problem)
        {
            fail(field, problem);
            return false;
        }
        return true;
    }

    // Messages land in responses, logs and the dead-letter stream; a long bad value must not.
    private static string Shorten(string text) => text.Length <= 32 ? text : text[..32] + "…";

    private static EventBatchValidation Result(List<UserEvent> events, Dictionary<string, List<string>> errors, int totalErrors)
    {
        var reported = errors.ToDictionary(p => p.Key, p => p.Value.ToArray(), StringComparer.Ordinal);
        var listed = reported.Sum(p => p.Value.Length);
        if (totalErrors > listed)
        {
            reported["$"] = [$"{totalErrors - listed} more error(s) not listed"];
        }
        return new EventBatchValidation(totalErrors == 0 ? events : [], reported);
    }
}
