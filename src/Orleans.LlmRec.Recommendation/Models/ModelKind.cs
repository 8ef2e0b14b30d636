namespace Orleans.LlmRec.Recommendation.Models;

/// <summary>The model families we train, export and serve. The lower-case names are the CLI and manifest spelling.</summary>
public enum ModelKind
{
    Popularity,
    Svd,
    SvdPlusPlus,
    Bpr,
    LightGcn,
    GfCf,
}

public static class ModelKindNames
{
    /// <summary>Every kind's name, in <see cref="ModelKind"/> order, for help texts and error messages.</summary>
    public static string List { get; } = string.Join(", ", Enum.GetValues<ModelKind>().Select(ToName));

    public static string ToName(this ModelKind kind) => kind switch
    {
        ModelKind.Popularity => "pop",
        ModelKind.Svd => "svd",
        ModelKind.SvdPlusPlus => "svdpp",
        ModelKind.Bpr => "bpr",
        ModelKind.LightGcn => "lightgcn",
        ModelKind.GfCf => "gfcf",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? name, out ModelKind kind)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case "pop" or "popularity": kind = ModelKind.Popularity; return true;
            case "svd": kind = ModelKind.Svd; return true;
            case "svdpp" or "svd++": kind = ModelKind.SvdPlusPlus; return true;
            case "bpr" or "bpr-mf" or "bprmf": kind = ModelKind.Bpr; return true;
            case "lightgcn": kind = ModelKind.LightGcn; return true;
            case "gfcf" or "gf-cf": kind = ModelKind.GfCf; return true;
            default: kind = default; return false;
        }
    }

    /// <summary>Rating models predict a star value (RMSE/MAE make sense); the others only rank.</summary>
    public static bool PredictsRatings(this ModelKind kind) => kind is ModelKind.Svd or ModelKind.SvdPlusPlus;
}
