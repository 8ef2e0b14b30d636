using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Orleans.LlmRec.Testing.OpenAiStub;

namespace Orleans.LlmRec.IntegrationTests.Llm;

/// <summary>A candidate as the re-rank prompt showed it to the model.</summary>
public sealed record PromptCandidate(string ItemId, string Text);

/// <summary>One re-rank request as the scripted model received it: the candidates in the order sent (model order).</summary>
public sealed record RerankCall(RecordedRequest Request, IReadOnlyList<PromptCandidate> Candidates, JsonNode Data)
{
    /// <summary>Scores from 0 for the first candidate (the model's best) to 1 for the last: the model's order inverted.</summary>
    public Dictionary<string, double> Inverted() =>
        Candidates.Select((c, i) => (c.ItemId, Score: Candidates.Count == 1 ? 1.0 : (double)i / (Candidates.Count - 1)))
            .ToDictionary(x => x.ItemId, x => x.Score, StringComparer.Ordinal);
}

/// <summary>
/// A <see cref="ScriptedOpenAiServer"/> that plays a model: it tells re-rank requests from profile requests by their
/// system prompt and answers each with the function the current test set. The real OpenAI client in the silo talks to
/// it over HTTP. Every re-rank request is kept, parsed, for assertions.
/// </summary>
public sealed class ScriptedLlm : IAsyncDisposable
{
    public const string DefaultProfile = "Enjoys tightly plotted genre films; drawn to the same genres again and again.";

    private readonly ConcurrentQueue<RerankCall> _rerankCalls = new();
    private int _profileCalls;

    private ScriptedLlm(ScriptedOpenAiServer server)
    {
        Server = server;
        server.Fallback = Answer;
    }

    public ScriptedOpenAiServer Server { get; }

    public Uri Endpoint => Server.BaseAddress;

    /// <summary>How re-rank requests are answered; by default neutral scores (0.5 for every candidate), after 10 ms.</summary>
    public Func<RerankCall, ScriptedReply> OnRerank { get; set; } = call => Scores(call.Candidates.ToDictionary(c => c.ItemId, _ => 0.5)).After(TimeSpan.FromMilliseconds(10));

    /// <summary>How profile requests are answered; by default <see cref="DefaultProfile"/>, after 10 ms.</summary>
    public Func<RecordedRequest, ScriptedReply> OnProfile { get; set; } = _ => ScriptedReply.Text(DefaultProfile).After(TimeSpan.FromMilliseconds(10));

    public IReadOnlyList<RerankCall> RerankCalls => [.. _rerankCalls];

    public int ProfileCalls => Volatile.Read(ref _profileCalls);

    public static async Task<ScriptedLlm> StartAsync() => new(await ScriptedOpenAiServer.StartAsync());

    public static ScriptedReply Scores(IReadOnlyDictionary<string, double> scores) =>
        ScriptedReply.Json(new { scores = scores.Select(s => new { itemId = s.Key, score = s.Value }).ToArray() });

    public static bool IsRerank(RecordedRequest request) => request.SystemMessage.Contains("ranking component", StringComparison.Ordinal);

    /// <summary>The JSON document between &lt;data&gt; and &lt;/data&gt; of a prompt's last user message.</summary>
    public static JsonNode DataOf(RecordedRequest request)
    {
        var message = request.LastUserMessage;
        var start = message.IndexOf("<data>", StringComparison.Ordinal);
        var end = message.LastIndexOf("</data>", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, "the prompt has no <data> block");
        return JsonNode.Parse(message[(start + "<data>".Length)..end])!;
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private ScriptedReply Answer(RecordedRequest request)
    {
        if (!IsRerank(request))
        {
            Interlocked.Increment(ref _profileCalls);
            return OnProfile(request);
        }
        var data = DataOf(request);
        var candidates = data["candidates"]!.AsArray()
            .Select(c => new PromptCandidate(c!["itemId"]!.GetValue<string>(), c["item"]!.GetValue<string>()))
            .ToList();
        var call = new RerankCall(request, candidates, data);
        _rerankCalls.Enqueue(call);
        return OnRerank(call);
    }
}

internal static class Eventually
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    /// <summary>Polls until <paramref name="probe"/> returns a value that satisfies <paramref name="done"/>; fails with the last value otherwise.</summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await probe();
            if (done(value)) return value;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Gave up waiting for {what}; last value: {value}");
            await Task.Delay(50);
        }
    }
}
