using System.Numerics.Tensors;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// GF-CF (Shen et al., SIGIR 2021, "How Powerful is Graph Convolution for Recommendation?"): a training-free graph
/// filter. With R̃ = D_U^-1/2 R D_I^-1/2 and V_k its top-k right singular vectors, a user's binary row r scores
/// <c>s = r·R̃ᵀR̃ + α·r·D_I^-1/2 V_k V_kᵀ D_I^1/2</c> (a linear filter plus an ideal low-pass filter).
/// Both terms are linear in r, so the model is an <see cref="EmbeddingModel"/> of dimension K + k with
/// <list type="bullet">
/// <item>item vector i = [V_K[i], √deg(i)·V_k[i]], and</item>
/// <item>user vector = r·P, where row i of the projection P (the extra <see cref="UserProjectionExtra"/>) is
/// [σ²·V_K[i], α·V_k[i]/√deg(i)],</item>
/// </list>
/// using R̃ᵀR̃ = VΣ²Vᵀ truncated to rank K (<see cref="GfCfOptions.LinearRank"/>; exact when K reaches R̃'s smaller
/// side). Fold-in is therefore exact: a user's vector is the sum of their items' rows of P, whether they were in
/// training or clicked a moment ago. Deterministic for a seed (the SVD's Gaussian start) and any thread count.
/// </summary>
public sealed class GfCfTrainer(GfCfOptions? options = null) : IModelTrainer
{
    /// <summary>Row-major [ItemCount, Dimension]: the user vector is the sum of the rows of the user's items.</summary>
    public const string UserProjectionExtra = "gfcf.user_projection";

    public GfCfOptions Options { get; } = options ?? new GfCfOptions();

    public ModelKind Kind => ModelKind.GfCf;

    public EmbeddingModel Train(RatingsDataset train, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        o.Validate();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = o.MaxDegreeOfParallelism ?? Environment.ProcessorCount, CancellationToken = cancellationToken };
        var matrix = train.ToMatrix();
        var fullRank = Math.Min(matrix.UserCount, matrix.ItemCount);
        var linear = Math.Min(o.LinearRank, fullRank);
        var ideal = o.Alpha > 0 ? Math.Min(o.Factors, fullRank) : 0;
        var alpha = o.Alpha;
        GfCfValidation.Choice? choice = null;

        var split = o.ValidationFraction > 0 && ideal > 0
            ? Splits.Stratified(train.Interactions, 1 - o.ValidationFraction, StratifyBy.User, o.Seed)
            : null;
        if (split is { Test.Length: > 0 })
        {
            var fit = InteractionMatrix.Build(train.UserCount, train.ItemCount, split.Train);
            var fitSpectrum = Spectrum(fit, Math.Max(linear, ideal), "validation split: randomized SVD", parallel, progress);
            choice = GfCfValidation.Choose(fitSpectrum, fit, split.Test, linear, o.IdealRankCandidates(), o.AlphaCandidates(),
                o.ValidationK, o.ValidationUsers, o.Seed, parallel);
            progress?.Report(new TrainingProgress(1, 1, 0, choice.Ndcg, $"validation chose k = {choice.IdealRank}, alpha = {choice.Alpha}"));
            (ideal, alpha) = (choice.IdealRank, choice.Alpha);
            if (alpha == 0) ideal = 0;
        }

        var spectrum = Spectrum(matrix, Math.Max(linear, ideal), choice is null ? "randomized SVD" : "refit on all training data: randomized SVD", parallel, progress);
        linear = Math.Min(linear, spectrum.Rank);
        ideal = Math.Min(ideal, spectrum.Rank);
        var model = Build(matrix, spectrum, linear, ideal, alpha, parallel);

        model.Parameters["factors"] = ideal;
        model.Parameters["gfcf.alpha"] = alpha;
        model.Parameters["gfcf.linear_rank"] = linear;
        model.Parameters["gfcf.power_iterations"] = o.PowerIterations;
        model.Parameters["gfcf.oversampling"] = o.Oversampling;
        model.Parameters["gfcf.exact_linear"] = linear >= fullRank ? 1 : 0;
        model.Parameters["seed"] = o.Seed;
        if (choice is not null) model.Parameters[$"validation.ndcg@{o.ValidationK}"] = choice.Ndcg;
        return model;
    }

    private ItemSpectrum Spectrum(InteractionMatrix matrix, int rank, string note, ParallelOptions parallel, IProgress<TrainingProgress>? progress)
    {
        var o = Options;
        if (rank == 0) return new ItemSpectrum([], [], matrix.ItemCount, 0);
        return ItemSpectrum.Compute(new NormalizedRatingMatrix(matrix), rank, o.Oversampling, o.PowerIterations, o.Seed, parallel,
            (step, steps) => progress?.Report(new TrainingProgress(step, steps, 0, Note: note)), parallel.CancellationToken);
    }

    private static EmbeddingModel Build(InteractionMatrix matrix, ItemSpectrum spectrum, int linear, int ideal, double alpha, ParallelOptions parallel)
    {
        var d = linear + ideal;
        var model = new EmbeddingModel(ModelKind.GfCf, matrix.UserCount, matrix.ItemCount, d);
        var projection = new float[(long)matrix.ItemCount * d];
        for (var i = 0; i < matrix.ItemCount; i++)
        {
            var degree = (double)matrix.ItemDegree(i);
            var item = model.ItemVector(i);
            var row = projection.AsSpan(i * d, d);
            var v = spectrum.Vectors.AsSpan(i * spectrum.Rank, spectrum.Rank);
            for (var j = 0; j < linear; j++)
            {
                item[j] = (float)v[j];
                row[j] = (float)(spectrum.Values[j] * v[j]);
            }
            // An item nobody interacted with has no row in R̃: its singular coordinates are zero, and so is its filter.
            if (degree == 0) continue;
            var root = Math.Sqrt(degree);
            for (var j = 0; j < ideal; j++)
            {
                item[linear + j] = (float)(root * v[j]);
                row[linear + j] = (float)(alpha * v[j] / root);
            }
        }
        FoldTrainedUsers(model, matrix, projection, parallel);
        model.Extras[UserProjectionExtra] = projection;
        return model;
    }

    /// <summary>The user vector r·P of every training user, summed in item order exactly as fold-in sums it.</summary>
    internal static void FoldTrainedUsers(EmbeddingModel model, InteractionMatrix matrix, float[] projection, ParallelOptions parallel)
    {
        var d = model.Dimension;
        if (d == 0) return;
        Parallel.For(0, matrix.UserCount, parallel, u =>
        {
            var vector = model.UserVector(u);
            foreach (var i in matrix.ItemsOf(u)) TensorPrimitives.Add(vector, projection.AsSpan(i * d, d), vector);
        });
    }
}
