namespace Orleans.LlmRec.Scoring;

/// <summary>The results of one batch, to hand to its callers off the batch loop.</summary>
internal sealed class BatchCompletion(OnnxScorer scorer, List<PendingRequest> requests, ScoredItem[][]? results, Exception? failure, string version)
{
    public void Complete()
    {
        try
        {
            for (var i = 0; i < requests.Count; i++)
            {
                if (failure is null) requests[i].Completion.TrySetResult(new ScoringResult(results![i], version));
                else requests[i].Completion.TrySetException(failure);
            }
        }
        finally
        {
            scorer.CompletionFinished();
        }
    }
}
