using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Evaluation;

/// <summary>The evaluation protocols the CLI offers, each a named split with fixed meaning.</summary>
public enum EvaluationProtocol
{
    /// <summary>Microsoft Recommenders' ml-100k benchmark: stratified by item, 75/25, every test rating relevant.</summary>
    Microsoft,

    /// <summary>Stratified by user (each user's ratings split 75/25).</summary>
    UserStratified,

    /// <summary>Global random split.</summary>
    Random,

    /// <summary>Leave the latest interaction of each user out.</summary>
    LeaveOneOut,

    /// <summary>Train on the earliest 80% by time, test on the rest.</summary>
    Temporal,

    /// <summary>K-fold cross-validation of rating prediction (RMSE/MAE), as Surprise reports it.</summary>
    CrossValidation,

    /// <summary>
    /// arXiv 2507.07251's leave-one-out: one random rating per user held out; hit rate at N over all held-out ratings and
    /// "cumulative" hit rate over those rated ≥ 4 (see <see cref="PaperHitRate"/>).
    /// </summary>
    PaperLeaveOneOut,
}

public static class EvaluationProtocols
{
    public static string ToName(this EvaluationProtocol protocol) => protocol switch
    {
        EvaluationProtocol.Microsoft => "microsoft",
        EvaluationProtocol.UserStratified => "user-stratified",
        EvaluationProtocol.Random => "random",
        EvaluationProtocol.LeaveOneOut => "loo",
        EvaluationProtocol.Temporal => "temporal",
        EvaluationProtocol.CrossValidation => "cv",
        EvaluationProtocol.PaperLeaveOneOut => "paper-loo",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol)),
    };

    public static readonly string[] Names = [.. Enum.GetValues<EvaluationProtocol>().Select(p => p.ToName())];

    public static EvaluationProtocol Parse(string name)
    {
        var wanted = name.Trim().ToLowerInvariant();
        foreach (var protocol in Enum.GetValues<EvaluationProtocol>())
        {
            if (protocol.ToName() == wanted) return protocol;
        }
        throw new ArgumentException($"Unknown protocol '{name}'. Expected one of: {string.Join(", ", Names)}.", nameof(name));
    }

    /// <summary>The train/test split a protocol prescribes (not defined for cross-validation, which makes k of them).</summary>
    public static DataSplit Split(this EvaluationProtocol protocol, IReadOnlyList<Interaction> all, int seed, double ratio = 0.75) => protocol switch
    {
        EvaluationProtocol.Microsoft => Splits.Stratified(all, ratio, StratifyBy.Item, seed),
        EvaluationProtocol.UserStratified => Splits.Stratified(all, ratio, StratifyBy.User, seed),
        EvaluationProtocol.Random => Splits.Random(all, ratio, seed),
        EvaluationProtocol.LeaveOneOut => Splits.LeaveOneOut(all, LeaveOneOutMode.Latest, seed),
        EvaluationProtocol.Temporal => Splits.Temporal(all, 0.8),
        EvaluationProtocol.PaperLeaveOneOut => PaperHitRate.Split(all, seed),
        _ => throw new ArgumentException($"Protocol '{protocol.ToName()}' is not a single train/test split.", nameof(protocol)),
    };
}
