namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>One pairwise preference with dense indexes: <see cref="User"/> should rank <see cref="Positive"/> above <see cref="Negative"/>.</summary>
public readonly record struct BprTriple(int User, int Positive, int Negative);

/// <summary>
/// Extra BPR triples from outside the interaction data (LLMRec's LLM-chosen liked/disliked pairs) and how a BPR-style
/// trainer mixes them in. Each mini-batch draws <see cref="SamplesPerBatch"/> of them uniformly with replacement, on
/// a random stream of its own, and adds them to the batch's regular samples; then the <see cref="PruneFraction"/> of
/// those augmented samples with the largest loss under the current parameters is dropped before the update (LLMRec's
/// noisy-feedback pruning: an LLM choice the model finds implausible is more likely noise than signal). Regular
/// samples are drawn exactly as without augmentation, so the same seed gives the same regular batches either way.
/// </summary>
public sealed record BprAugmentation
{
    public BprAugmentation(IReadOnlyList<BprTriple> triples)
    {
        ArgumentNullException.ThrowIfNull(triples);
        Triples = triples;
    }

    public IReadOnlyList<BprTriple> Triples { get; }

    /// <summary>
    /// Augmented samples per batch as a share of the batch size: round(rate · batch size), at least one when the rate is
    /// positive. LLMRec's default augmentation sample rate is 0.1.
    /// </summary>
    public double SampleRate { get; init; } = 0.1;

    /// <summary>Share of each batch's augmented samples, largest loss first, left out of the update (LLMRec keeps ⌊(1 − p)·n⌋).</summary>
    public double PruneFraction { get; init; }

    public int SamplesPerBatch(int batchSize) =>
        Triples.Count == 0 || SampleRate <= 0 ? 0 : Math.Max(1, (int)Math.Round(SampleRate * batchSize, MidpointRounding.AwayFromZero));

    /// <summary>How many of <paramref name="drawn"/> augmented samples survive pruning.</summary>
    public int KeptOf(int drawn) => (int)Math.Floor((1.0 - PruneFraction) * drawn + 1e-9);

    internal void Validate(int userCount, int itemCount)
    {
        if (!(SampleRate >= 0) || double.IsInfinity(SampleRate))
        {
            throw new ArgumentOutOfRangeException(nameof(SampleRate), SampleRate, "Must be a finite non-negative share of the batch.");
        }
        if (!(PruneFraction >= 0 && PruneFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(PruneFraction), PruneFraction, "Must lie in [0, 1).");
        }
        for (var n = 0; n < Triples.Count; n++)
        {
            var t = Triples[n];
            if ((uint)t.User >= (uint)userCount || (uint)t.Positive >= (uint)itemCount || (uint)t.Negative >= (uint)itemCount)
            {
                throw new ArgumentException($"Augmented triple {n} ({t.User}, {t.Positive}, {t.Negative}) is outside the data set ({userCount} users, {itemCount} items).", nameof(Triples));
            }
            if (t.Positive == t.Negative)
            {
                throw new ArgumentException($"Augmented triple {n} has the same positive and negative item {t.Positive}.", nameof(Triples));
            }
        }
    }

    /// <summary>Records the augmentation in a model's parameters (only when one was used, so plain models are unchanged).</summary>
    internal void Describe(IDictionary<string, double> parameters)
    {
        parameters["aug.triples"] = Triples.Count;
        parameters["aug.sample_rate"] = SampleRate;
        parameters["aug.prune"] = PruneFraction;
    }
}

/// <summary>The per-batch mechanics of <see cref="BprAugmentation"/> shared by the BPR and LightGCN trainers.</summary>
internal sealed class AugmentedBatch
{
    private readonly BprAugmentation _augmentation;
    private readonly int _seed;
    private readonly double[] _losses;
    private readonly int[] _order;

    public AugmentedBatch(BprAugmentation augmentation, int batchSize, int seed)
    {
        _augmentation = augmentation;
        _seed = seed;
        PerBatch = augmentation.SamplesPerBatch(batchSize);
        _losses = new double[PerBatch];
        _order = new int[PerBatch];
    }

    public static AugmentedBatch? Create(BprAugmentation? augmentation, int batchSize, int seed) =>
        augmentation is { Triples.Count: > 0 } a && a.SamplesPerBatch(batchSize) > 0 ? new AugmentedBatch(a, batchSize, seed) : null;

    /// <summary>Augmented samples drawn per batch (before pruning).</summary>
    public int PerBatch { get; }

    /// <summary>
    /// Draws the batch's augmented triples into <paramref name="users"/>/<paramref name="positives"/>/<paramref name="negatives"/>
    /// at [offset, offset + PerBatch), scores them with <paramref name="loss"/> (BPR loss under the current parameters),
    /// drops the largest-loss share, and compacts the survivors, in draw order, from <paramref name="offset"/>.
    /// Returns how many survive. The stream (seed, epoch, −2 − batch) is disjoint from the regular sampler's.
    /// </summary>
    public int Fill(int epoch, int batch, int offset, int[] users, int[] positives, int[] negatives, Func<int, int, int, double> loss)
    {
        var rng = SplitMixRandom.ForStream(_seed, epoch, -2L - batch);
        var triples = _augmentation.Triples;
        for (var s = 0; s < PerBatch; s++)
        {
            var t = triples[rng.NextInt(triples.Count)];
            users[offset + s] = t.User;
            positives[offset + s] = t.Positive;
            negatives[offset + s] = t.Negative;
        }
        var kept = _augmentation.KeptOf(PerBatch);
        if (kept == PerBatch) return kept;

        for (var s = 0; s < PerBatch; s++)
        {
            _losses[s] = loss(users[offset + s], positives[offset + s], negatives[offset + s]);
            _order[s] = s;
        }
        // Smallest loss first, ties by draw position, so the choice does not depend on the sort's stability.
        Array.Sort(_order, 0, PerBatch, Comparer<int>.Create((a, b) =>
        {
            var byLoss = _losses[a].CompareTo(_losses[b]);
            return byLoss != 0 ? byLoss : a.CompareTo(b);
        }));
        Array.Sort(_order, 0, kept);
        for (var s = 0; s < kept; s++)
        {
            var from = offset + _order[s];
            users[offset + s] = users[from];
            positives[offset + s] = positives[from];
            negatives[offset + s] = negatives[from];
        }
        return kept;
    }
}
