using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// What an item publication may be, wherever it arrives (HTTP or the item stream): the id by <see cref="IdRules"/>,
/// a title, bounded text and tags. Every problem names its field, as event validation does.
/// </summary>
public static class ItemPublicationRules
{
    public const int MaxTitleLength = 500;
    public const int MaxTextLength = 20_000;
    public const int MaxTags = 50;
    public const int MaxTagLength = 100;

    /// <summary>The id's problem, or null (<paramref name="maxIdLength"/>: <c>Ingestion:MaxIdLength</c>).</summary>
    public static string? IdProblem(string? itemId, int maxIdLength)
    {
        if (string.IsNullOrWhiteSpace(itemId)) return "must not be empty";
        if (itemId.Length > maxIdLength) return $"is {itemId.Length} characters long; at most {maxIdLength} are allowed";
        return IdRules.Problem(itemId, inPaths: true);
    }

    /// <summary>The publication, or null with every problem by field.</summary>
    public static ItemPublication? Validate(ItemRequest? body, DateTimeOffset now, TimeSpan maxFutureSkew, out Dictionary<string, string[]> errors)
    {
        errors = [];
        if (body is null)
        {
            errors["body"] = ["expected a JSON object with at least a title"];
            return null;
        }
        if (string.IsNullOrWhiteSpace(body.Title)) errors["title"] = ["is required and must not be blank"];
        else if (body.Title.Length > MaxTitleLength) errors["title"] = [$"is {body.Title.Length} characters long; at most {MaxTitleLength} are allowed"];
        if (body.Text is { Length: > MaxTextLength } text) errors["text"] = [$"is {text.Length} characters long; at most {MaxTextLength} are allowed"];
        var tags = new List<string>();
        if (body.Tags is { } given)
        {
            if (given.Count > MaxTags) errors["tags"] = [$"lists {given.Count} tags; at most {MaxTags} are allowed"];
            for (var i = 0; i < given.Count && !errors.ContainsKey("tags"); i++)
            {
                var tag = given[i];
                if (string.IsNullOrWhiteSpace(tag)) errors[$"tags[{i}]"] = ["must not be empty"];
                else if (tag.Length > MaxTagLength) errors[$"tags[{i}]"] = [$"is {tag.Length} characters long; at most {MaxTagLength} are allowed"];
                else if (tag.Any(char.IsControl)) errors[$"tags[{i}]"] = ["contains a control character"];
                else tags.Add(tag.Trim());
            }
        }
        if (body.PublishedAt is { } at && (at > now + maxFutureSkew || at.Year < 1970))
        {
            errors["publishedAt"] = [$"{at:O} lies in the future (more than {maxFutureSkew} ahead) or before 1970"];
        }
        if (errors.Count > 0) return null;
        return new ItemPublication
        {
            Title = body.Title!.Trim(),
            Text = string.IsNullOrWhiteSpace(body.Text) ? null : body.Text,
            Tags = tags,
            PublishedAt = body.PublishedAt?.ToUniversalTime(),
            Available = body.Available ?? true,
        };
    }
}
