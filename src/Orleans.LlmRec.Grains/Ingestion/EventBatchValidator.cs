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
/// future are not.
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
        var latest = now + options.MaxFutureSkew;
        for (var i = 0; i < batch.Count; i++)
        {
            var at = $"{prefix}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (batch[i] is not { } e)
            {
                Fail(at, "an event must be a JSON object, not null");
                continue;
            }
            var ok = CheckId(e.EventId, $"{at}.eventId", options, Fail, inPaths: false);
            ok &= CheckId(e.UserId, $"{at}.userId", options, Fail, inPaths: true);
            if (!CheckId(e.ItemId, $"{at}.itemId", options, Fail, inPaths: true))
            {
                ok = false;
            }
            else if (!catalogue.Contains(e.ItemId!))
            {
                Fail($"{at}.itemId", $"unknown item '{e.ItemId}'");
                ok = false;
            }

            UserEventType type = default;
            if (string.IsNullOrWhiteSpace(e.Type))
            {
                Fail($"{at}.type", "is required (click, view, like, dislike or rating)");
                ok = false;
            }
            else if (!TryParseType(e.Type, out type))
            {
                Fail($"{at}.type", $"'{e.Type}' is not one of click, view, like, dislike, rating");
                ok = false;
            }
            else if (type == UserEventType.Rating)
            {
                if (e.Value is not { } rating)
                {
                    Fail($"{at}.value", "is required for a rating");
                    ok = false;
                }
                else if (!float.IsFinite(rating) || rating < options.MinRating || rating > options.MaxRating)
                {
                    Fail($"{at}.value", $"rating {rating.ToString(CultureInfo.InvariantCulture)} is outside [{options.MinRating.ToString(CultureInfo.InvariantCulture)}, {options.MaxRating.ToString(CultureInfo.InvariantCulture)}]");
                    ok = false;
                }
            }
            if (e.Value is { } value && !float.IsFinite(value))
            {
                Fail($"{at}.value", "must be a finite number");
                ok = false;
            }

            if (e.Timestamp is not { } timestamp)
            {
                Fail($"{at}.timestamp", "is required (ISO 8601 with offset, e.g. 2025-06-07T08:09:10Z)");
                ok = false;
            }
            else if (timestamp > latest)
            {
                Fail($"{at}.timestamp", $"{timestamp:O} lies in the future (more than {options.MaxFutureSkew.TotalSeconds:0.###} s after the server's clock, {now:O})");
                ok = false;
            }
            else if (timestamp.ToUnixTimeSeconds() <= 0)
            {
                // The epoch itself is what a missing or zeroed clock writes, not a real interaction time.
                Fail($"{at}.timestamp", $"{timestamp:O} is not after the Unix epoch (1970-01-01T00:00:00Z)");
                ok = false;
            }

            if (ok)
            {
                events.Add(new UserEvent
                {
                    EventId = e.EventId!,
                    UserId = e.UserId!,
                    ItemId = e.ItemId!,
                    Type = type,
                    Value = type == UserEventType.Rating ? e.Value : null,
                    Timestamp = e.Timestamp!.Value,
                });
            }
        }
        return Result(events, errors, totalErrors);
    }

    public static bool TryParseType(string? text, out UserEventType type)
    {
        type = default;
        return text is not null && !int.TryParse(text, out _) && Enum.TryParse(text.Trim(), ignoreCase: true, out type) && Enum.IsDefined(type);
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
        if (IdProblem(id, inPaths) is { } problem)
        {
            fail(field, problem);
            return false;
        }
        return true;
    }

    /// <summary>
    /// Why <paramref name="id"/> cannot be an id, or null. User and item ids appear in URL paths
    /// (<c>/v1/users/{userId}</c>), so they may not hold a <c>/</c> (a path cannot carry one) and, like every id, no
    /// control characters or surrounding whitespace (which would make " a" and "a" two users).
    /// </summary>
    public static string? IdProblem(string id, bool inPaths)
    {
        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1])) return "starts or ends with whitespace";
        if (id.AsSpan().IndexOfAnyInRange('\u0000', '\u001F') >= 0 || id.Contains('\u007F')) return "contains a control character";
        if (inPaths && id.Contains('/')) return "contains '/', which a URL path cannot carry";
        return null;
    }

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
