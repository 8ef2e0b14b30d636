using System.Text.Json.Nodes;

namespace Orleans.LlmRec.Testing.OpenAiStub;

/// <summary>One message of a recorded request, with its content flattened to text.</summary>
public sealed record RecordedMessage(string Role, string Content);

/// <summary>A chat completion request as the server received it.</summary>
public sealed record RecordedRequest(
    int Sequence,
    string Model,
    IReadOnlyList<RecordedMessage> Messages,
    double? Temperature,
    int? MaxTokens,
    JsonNode? ResponseFormat,
    string? Authorization,
    JsonNode Body)
{
    public string SystemMessage => string.Join("\n", Messages.Where(m => m.Role == "system").Select(m => m.Content));

    public string LastUserMessage => Messages.LastOrDefault(m => m.Role == "user")?.Content ?? "";

    /// <summary>The <c>response_format.type</c> asked for (<c>json_schema</c>, <c>json_object</c>), or null.</summary>
    public string? ResponseFormatType => ResponseFormat?["type"]?.GetValue<string>();
}
