using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>The checks a scoring request must pass against the model it is queued on, before it is queued.</summary>
internal static class ScoringRequestChecks
{
    public static void Validate(ScoringRequest request, LoadedOnnxModel model)
    {
        if (request.UserVector.Length != model.Dimension)
        {
            throw new ArgumentException(
                $"The user vector has {request.UserVector.Length} values; model {model.Info.Version} has dimension {model.Dimension}.", nameof(request));
        }
        // A NaN or infinite input makes every score of the row NaN or infinite, and the ranking meaningless.
        if (!float.IsFinite(request.UserBias) || !AllFinite(request.UserVector.Span))
        {
            throw new ArgumentException("The user vector and bias must be finite numbers.", nameof(request));
        }
        CheckItems(request.ExcludedItems.Span, model, "excluded item");
        if (request.Candidates is { } candidates)
        {
            if (model.Candidates is null)
            {
                throw new NotSupportedException($"Model {model.Info.Version} was loaded without a candidate graph ({OnnxContract.CandidatesPathFor(model.Path)}).");
            }
            CheckItems(candidates, model, "candidate");
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var value in values)
        {
            if (!float.IsFinite(value)) return false;
        }
        return true;
    }

    private static void CheckItems(ReadOnlySpan<int> items, LoadedOnnxModel model, string what)
    {
        foreach (var item in items)
        {
            if ((uint)item >= (uint)model.ItemCount)
            {
                throw new ArgumentOutOfRangeException(nameof(items), item, $"A {what} index must be in [0, {model.ItemCount}).");
            }
        }
    }
}
