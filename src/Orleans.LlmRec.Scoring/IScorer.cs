using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// Ranks items for user vectors with the model currently served. Callers bring the vector and bias (a trained
/// user's row, or one folded in from recent interactions); the scorer returns the best k dense item indexes.
/// Implementations are thread-safe and may gather concurrent calls into one inference batch.
/// </summary>
public interface IScorer
{
    /// <summary>The model new requests are scored with; changes when a new model is swapped in.</summary>
    OnnxModelInfo Model { get; }

    /// <summary>Scores one user over the full catalogue, or over <see cref="ScoringRequest.Candidates"/> when set.</summary>
    Task<ScoringResult> ScoreAsync(ScoringRequest request, CancellationToken cancellationToken = default);

    /// <summary>Scores several users; results come back in request order.</summary>
    Task<IReadOnlyList<ScoringResult>> ScoreBatchAsync(IReadOnlyList<ScoringRequest> requests, CancellationToken cancellationToken = default);
}

/// <summary>One user to rank items for.</summary>
public sealed class ScoringRequest
{
    public ScoringRequest(ReadOnlyMemory<float> userVector, float userBias, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        UserVector = userVector;
        UserBias = userBias;
        K = k;
    }

    /// <summary>The effective user vector; its length must equal the model dimension (empty for popularity).</summary>
    public ReadOnlyMemory<float> UserVector { get; }

    public float UserBias { get; }

    /// <summary>How many items to return at most; fewer come back when fewer items are eligible.</summary>
    public int K { get; }

    /// <summary>Dense item indexes never to return (already seen, filtered out).</summary>
    public ReadOnlyMemory<int> ExcludedItems { get; init; }

    /// <summary>
    /// When not null, only these dense item indexes are scored instead of the whole catalogue (an empty list scores
    /// nothing). Duplicates are scored twice. An array rather than a memory, so that "no list" cannot be confused
    /// with "an empty list".
    /// </summary>
    public int[]? Candidates { get; init; }
}

/// <summary>An item and its score.</summary>
public readonly record struct ScoredItem(int Item, float Score);

/// <summary>The best items for one request, best first, and the version of the model that scored them.</summary>
public sealed record ScoringResult(IReadOnlyList<ScoredItem> Items, string ModelVersion);
