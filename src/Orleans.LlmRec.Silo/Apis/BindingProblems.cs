using System.Text.Json;
using System.Text.RegularExpressions;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The field a minimal-API binding failure is about, in the API's spelling, with a message that says what is expected
/// instead of the framework's (which names .NET types): <c>k=abc</c> → <c>errors.k</c>, a body missing its
/// <c>preferences</c> → <c>errors.preferences</c>. Null when the failure is about no particular field.
/// </summary>
internal static partial class BindingProblems
{
    public static Dictionary<string, string[]>? Describe(BadHttpRequestException exception)
    {
        if (exception.StatusCode != StatusCodes.Status400BadRequest) return null;
        if (ParameterPattern().Match(exception.Message) is { Success: true } parameter)
        {
            var type = parameter.Groups["type"].Value;
            var expected = type.Contains("int", StringComparison.Ordinal) ? "a whole number"
                : type.Contains("bool", StringComparison.Ordinal) ? "true or false"
                : "a single value";
            var value = parameter.Groups["value"].Value;
            var detail = value.Contains(',', StringComparison.Ordinal) ? $"is given more than once ({value}); give it once, as {expected}" : $"'{value}' is not {expected}";
            return new() { [parameter.Groups["name"].Value] = [detail] };
        }
        if (exception.Message.StartsWith("Implicit body inferred", StringComparison.Ordinal) || exception.Message.Contains("no body was provided", StringComparison.Ordinal))
        {
            return new() { ["body"] = ["is required: a JSON object"] };
        }
        if (exception.InnerException is JsonException json)
        {
            if (MissingPattern().Match(json.Message) is { Success: true } missing)
            {
                return new() { [Camel(missing.Groups["name"].Value)] = ["is required (null clears it)"] };
            }
            if (UnmappedPattern().Match(json.Message) is { Success: true } unknown)
            {
                return new() { [unknown.Groups["name"].Value] = ["is not a field of this body"] };
            }
            var field = FieldOf(json.Path);
            return new() { [field] = [field == "body" ? "is not a JSON object of the expected shape" : "has the wrong type or is repeated"] };
        }
        return null;
    }

    /// <summary><c>$.preferences</c> → <c>preferences</c>; the root → <c>body</c>.</summary>
    private static string FieldOf(string? path) =>
        string.IsNullOrEmpty(path) || path == "$" ? "body" : path.TrimStart('$', '.');

    private static string Camel(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    [GeneratedRegex("""^Failed to bind parameter "(?<type>[^"]*?) (?<name>\w+)" from "(?<value>.*)"\.$""", RegexOptions.Singleline)]
    private static partial Regex ParameterPattern();

    [GeneratedRegex("""missing required properties including: '(?<name>[^']+)'""")]
    private static partial Regex MissingPattern();

    [GeneratedRegex("""The JSON property '(?<name>[^']+)' could not be mapped""")]
    private static partial Regex UnmappedPattern();
}
