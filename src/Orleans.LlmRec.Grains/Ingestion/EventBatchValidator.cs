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
            var at = new FieldPath(prefix, i);
            if (batch[i] is not { } e)
            {
                Fail(at.Event, "an event must be a JSON object, not null");
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
        List<string>? found = null;
        valid = Check(incoming, FieldPath.None, catalogue, options, now, (field, message) => (found ??= []).Add($"{field}: {message}"));
        problems = valid is null ? string.Join("; ", found ?? []) : null;
        return valid is not null;
    }

    /// <summary>
    /// Where an event's fields are reported: <c>events[3].itemId</c>, or plain <c>itemId</c> for a stream entry. Field
    /// names are built only when a field fails: a valid event (nearly all of them) costs no strings for its paths.
    /// </summary>
    private readonly record struct FieldPath(string Prefix, int Index)
    {
        public static readonly FieldPath None = new("", -1);

        public string Event => $"{Prefix}[{Index.ToString(CultureInfo.InvariantCulture)}]";

        public string Of(string name) => Index < 0 ? name : $"{Event}.{name}";
    }

    /// <summary>The rules for one event; <paramref name="at"/> prefixes the field names (<c>events[3]</c>, or none).</summary>
    private static UserEvent? Check(IncomingEvent e, FieldPath at, ItemCatalogue catalogue, IngestionOptions options, DateTimeOffset now, Action<string, string> fail)
    {
        var ok = CheckId(e.EventId, at, "eventId", options, fail, inPaths: false);
        ok &= CheckId(e.UserId, at, "userId", options, fail, inPaths: true);
        if (!CheckId(e.ItemId, at, "itemId", options, fail, inPaths: true))
        {
            ok = false;
        }
        else if (!catalogue.Contains(e.ItemId!))
        {
            fail(at.Of("itemId"), $"unknown item '{e.ItemId}'");
            ok = false;
        }

        UserEventType type = default;
        if (string.IsNullOrWhiteSpace(e.Type))
        {
            fail(at.Of("type"), $"is required ({UserEventTypeNames.Expected})");
            ok = false;
        }
        else if (!UserEventTypeNames.TryParse(e.Type, out type))
        {
            fail(at.Of("type"), $"'{Shorten(e.Type)}' is not an event type: send exactly one of {UserEventTypeNames.Expected} (in any case; no lists, numbers or spaces)");
            ok = false;
        }
        else if (type == UserEventType.Rating)
        {
            if (e.Value is not { } rating)
            {
                fail(at.Of("value"), "is required for a rating");
                ok = false;
            }
            else if (!float.IsFinite(rating) || rating < options.MinRating || rating > options.MaxRating)
            {
                fail(at.Of("value"), $"rating {rating.ToString(CultureInfo.InvariantCulture)} is outside [{options.MinRating.ToString(CultureInfo.InvariantCulture)}, {options.MaxRating.ToString(CultureInfo.InvariantCulture)}]");
                ok = false;
            }
        }
        if (e.Value is { } value && !float.IsFinite(value))
        {
            fail(at.Of("value"), "must be a finite number");
            ok = false;
        }

        if (e.Timestamp is not { } timestamp)
        {
            fail(at.Of("timestamp"), "is required (ISO 8601 with offset, e.g. 2025-06-07T08:09:10Z)");
            ok = false;
        }
        else if (timestamp > now + options.MaxFutureSkew)
        {
            fail(at.Of("timestamp"), $"{timestamp:O} lies in the future (more than {options.MaxFutureSkew.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s after the server's clock, {now:O})");
            ok = false;
        }
        else if (timestamp.ToUnixTimeSeconds() <= 0)
        {
            // The epoch itself is what a missing or zeroed clock writes, not a real interaction time.
            fail(at.Of("timestamp"), $"{timestamp:O} is not after the Unix epoch (1970-01-01T00:00:00Z)");
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

    private static bool CheckId(string? id, FieldPath at, string name, IngestionOptions options, Action<string, string> fail, bool inPaths)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            fail(at.Of(name), "is required");
            return false;
        }
        if (id.Length > options.MaxIdLength)
        {
            fail(at.Of(name), $"is {id.Length} characters long; at most {options.MaxIdLength} are allowed");
            return false;
        }
        if (IdRules.Problem(id, inPaths) is { } problem)
        {
            fail(at.Of(name), problem);
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
