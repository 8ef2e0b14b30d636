using Microsoft.AspNetCore.Http.HttpResults;
using Orleans.LlmRec.Grains.Ingestion;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>Checks shared by the endpoints; each failure names the field, as clients fix requests field by field.</summary>
internal static class ApiValidation
{
    public static ValidationProblem Invalid(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request is invalid.");

    /// <summary>
    /// A user or item id in a path or query: the rules and bound of ingested ids (<see cref="IdRules"/>,
    /// <c>Ingestion:MaxIdLength</c>), so any user the service accepted events for can be asked for, and no id it would
    /// refuse to ingest is looked up.
    /// </summary>
    public static ValidationProblem? CheckId(string id, string field, int maxIdLength)
    {
        if (string.IsNullOrWhiteSpace(id)) return Invalid(field, "must not be empty");
        if (id.Length > maxIdLength) return Invalid(field, $"is {id.Length} characters long; at most {maxIdLength} are allowed");
        if (IdRules.Problem(id, inPaths: true) is { } problem) return Invalid(field, problem);
        return null;
    }

    public static ValidationProblem? CheckK(int k, int max) =>
        k < 1 || k > max ? Invalid("k", $"{k} is outside [1, {max}]") : null;
}
