using Microsoft.ML.OnnxRuntime;
using Orleans.LlmRec.Recommendation.Onnx;

namespace Orleans.LlmRec.Scoring;

/// <summary>Real inferences run on a model's sessions while it loads, so a graph that cannot serve is refused before it does.</summary>
internal static class ModelSmokeTests
{
    /// <summary>
    /// One user through the serving graph and through the full-catalogue graph beside it: their best items and scores
    /// must agree, or the serving graph (which answers every full-catalogue request) is not the model it claims to be.
    /// </summary>
    public static void SmokeTestItemScores(string path, InferenceSession itemScores, OnnxModelInfo info, InferenceSession fullCatalogue, OnnxModelInfo fullInfo)
    {
        try
        {
            using var buffers = new BatchBuffers();
            var vector = new float[info.Dimension];
            for (var j = 0; j < vector.Length; j++) vector[j] = (j % 3 - 1) * 0.5f;
            var request = new ScoringRequest(vector, 0f, Math.Min(3, info.ItemCount));
            var served = buffers.RunItemScores(itemScores, info, [request], 1)[0];
            var reference = buffers.Run(fullCatalogue, fullInfo, [request], candidates: false)[0];
            for (var i = 0; i < reference.Length; i++)
            {
                if (i >= served.Length || Math.Abs(served[i].Score - reference[i].Score) > 1e-4f * Math.Max(1f, Math.Abs(reference[i].Score)))
                {
                    throw new ScoringModelException(path, "a test inference disagrees with the full-catalogue graph beside it.");
                }
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ScoringModelException(path, $"a test inference failed: {e.Message}", e);
        }
    }

    public static void SmokeTest(string path, InferenceSession session, OnnxModelInfo info, bool candidates)
    {
        try
        {
            using var buffers = new BatchBuffers();
            var request = new ScoringRequest(new float[info.Dimension], 0f, 1) { Candidates = candidates ? [0] : null };
            var results = buffers.Run(session, info, [request], candidates);
            if (results[0].Length != 1 || results[0][0].Item is var item && (item < 0 || item >= info.ItemCount))
            {
                throw new ScoringModelException(path, "a test inference did not return one valid item.");
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw new ScoringModelException(path, $"a test inference failed: {e.Message}", e);
        }
    }
}
