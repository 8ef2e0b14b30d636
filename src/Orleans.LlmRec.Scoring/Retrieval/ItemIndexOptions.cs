using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Scoring.Retrieval;

/// <summary>
/// How the approximate item index (<see cref="ItemVectorIndex"/>, an HNSW graph in USearch) is built and searched
/// (configuration section <c>ItemIndex</c>). Larger values buy recall with build time, memory and search time; the
/// defaults serve recall@100 ≥ 0.95 (candidates re-scored) on clustered 64-dimensional vectors up to 10⁶ items
/// (bench/RESULTS.md, "Candidate retrieval").
/// </summary>
public sealed class ItemIndexOptions : IValidatableObject
{
    public const string SectionName = "ItemIndex";
    private const int ItemsPerExpansion = 1_000;
    private const int MinExpansionSearch = 64;
    private const int MaxExpansionSearch = 4_096;
    private const int ShardedFromItems = 500_000;

    /// <summary>Neighbours per node in the graph (HNSW's M; the base layer keeps twice as many).</summary>
    [Range(4, 128, ErrorMessage = "ItemIndex:Connectivity must lie in [4, 128].")]
    public int Connectivity { get; set; } = 16;

    /// <summary>
    /// Candidates examined per insertion (HNSW's efConstruction). 256 rather than USearch's 128: at 10⁶ clustered items
    /// the better graph serves recall@100 0.962 at ef 1,024 where 128's served 0.892 (0.973 / 0.934 at 1,536), for the
    /// same bytes and about 1.5 × the build time (bench/RESULTS.md, "Candidate retrieval").
    /// </summary>
    [Range(8, 4_096, ErrorMessage = "ItemIndex:ExpansionAdd must lie in [8, 4096].")]
    public int ExpansionAdd { get; set; } = 256;

    /// <summary>
    /// Candidates examined per search (HNSW's ef); a search for more results than this examines that many. 0 (the
    /// default) chooses it by catalogue size when the index is built (<see cref="ExpansionSearchFor"/>).
    /// </summary>
    [Range(0, 16_384, ErrorMessage = "ItemIndex:ExpansionSearch must be 0 (by catalogue size) or lie in [8, 16384].")]
    public int ExpansionSearch { get; set; }

    /// <summary>How each stored value is held (see <see cref="ItemIndexQuantization"/>).</summary>
    public ItemIndexQuantization Quantization { get; set; } = ItemIndexQuantization.Int8;

    /// <summary>Threads that insert items while the index is built; 0 = one per processor.</summary>
    [Range(0, 256, ErrorMessage = "ItemIndex:BuildThreads must lie in [0, 256].")]
    public int BuildThreads { get; set; }

    /// <summary>
    /// Searches (and updates) that may run at once; further callers wait for one to finish. USearch keeps one search
    /// context per concurrent call and must never be entered by more callers than it has contexts.
    /// </summary>
    [Range(1, 1_024, ErrorMessage = "ItemIndex:MaxConcurrentSearches must lie in [1, 1024].")]
    public int MaxConcurrentSearches { get; set; } = 32;

    /// <summary>
    /// Graphs the items are split into (item <c>i</c> in graph <c>i mod Shards</c>), searched at once for one query and
    /// merged: a lone request's search then takes about one graph's time on as many cores. 0 (the default) chooses by
    /// catalogue size and cores (<see cref="ShardsFor"/>).
    /// </summary>
    [Range(0, 64, ErrorMessage = "ItemIndex:Shards must be 0 (by catalogue size and cores) or lie in [1, 64].")]
    public int Shards { get; set; }

    /// <summary>How a score becomes a distance the graph is built on (see <see cref="ItemIndexMetric"/>).</summary>
    public ItemIndexMetric Metric { get; set; } = ItemIndexMetric.Euclidean;

    /// <summary>The build's thread count with 0 resolved.</summary>
    public int ResolvedBuildThreads => BuildThreads > 0 ? BuildThreads : Environment.ProcessorCount;

    /// <summary>
    /// The search expansion each shard of an index of <paramref name="itemCount"/> items uses: the setting, or with 0
    /// the size rule applied to one shard's share of the items.
    /// </summary>
    public int ResolvedExpansionSearch(int itemCount) => ExpansionSearch > 0 ? ExpansionSearch : ExpansionSearchFor(ShardSize(itemCount, ResolvedShards(itemCount)));

    /// <summary>The shards an index of <paramref name="itemCount"/> items is split into: the setting, or with 0 <see cref="ShardsFor"/> on this machine.</summary>
    public int ResolvedShards(int itemCount) => Shards > 0 ? Shards : ShardsFor(itemCount, Environment.ProcessorCount);

    /// <summary>
    /// The shards chosen by catalogue size and cores: 2 from 500,000 items when there are at least 2 cores, else 1.
    /// At 10⁶ items one graph's search has a p99 2–3 × its p50 (query-dependent work), so one search at ef 1,000 alone
    /// nearly fills the 5 ms feed budget; two graphs of half the items, searched at once, each at the rule's ef for
    /// their size, halve a lone request's search for about the same CPU (bench/RESULTS.md, "Candidate retrieval").
    /// Below 500,000 items a search takes well under the budget and a second thread would only add hand-off costs.
    /// </summary>
    public static int ShardsFor(int itemCount, int processors) => itemCount >= ShardedFromItems && processors >= 2 ? 2 : 1;

    private static int ShardSize(int itemCount, int shards) => (int)(((long)itemCount + shards - 1) / shards);

    /// <summary>
    /// The search expansion chosen by catalogue size: one per 1,000 items, in [64, 4096]. It grows linearly because the
    /// items that tie closely with a user's top 100 grow with the catalogue: on clustered 64-dimensional vectors a
    /// fixed ef 256 serves recall@100 0.999 at 10⁵ items but 0.81–0.84 at 10⁶. At 10⁶ with ef add 128 even ef 2,000
    /// served only 0.955–0.968; with ef add 256 (the default) ef 1,024 serves 0.962, 1,536 0.973 and 2,000 0.982 (500
    /// users; bench/RESULTS.md, "Candidate retrieval"). The search's tail grows with ef (one graph's p99 is 3.3 ms at
    /// 1,024 and 5.3 ms at 1,562), so at 10⁶ items the index is split into two shards (<see cref="ShardsFor"/>), each
    /// searched at the rule for its 500,000 items: two graphs at ef 500 serve 0.975. Below 10⁵ items the feed asks for
    /// more candidates than this anyway (a search examines at least as many as it returns).
    /// </summary>
    public static int ExpansionSearchFor(int itemCount) => Math.Clamp(itemCount / ItemsPerExpansion, MinExpansionSearch, MaxExpansionSearch);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ExpansionSearch is > 0 and < 8)
        {
            yield return new ValidationResult("ItemIndex:ExpansionSearch must be 0 (by catalogue size) or lie in [8, 16384].", [nameof(ExpansionSearch)]);
        }
    }
}

/// <summary>
/// How the index holds each stored value. Narrower values make each distance cheaper (more candidates examined in the
/// same time) and the index smaller, at some loss of precision in the graph's distances; the feed re-scores the
/// candidates exactly either way.
/// </summary>
public enum ItemIndexQuantization
{
    /// <summary>32-bit floats: distances exact up to rounding.</summary>
    Float32,

    /// <summary>IEEE half precision (11 significant bits).</summary>
    Float16,

    /// <summary>bfloat16 (8 significant bits, float32's range).</summary>
    BFloat16,

    /// <summary>8-bit integers: the stored vectors are scaled into [−1, 1] and rounded to 1/127.</summary>
    Int8,
}

/// <summary>
/// How the index turns the model's score <c>user·item + itemBias</c> into a distance. Both order items exactly as the
/// score; they differ in how well the graph navigates (recall per examined candidate, bench/RESULTS.md).
/// </summary>
public enum ItemIndexMetric
{
    /// <summary>
    /// Items stored as <c>[item, bias, √(R² − ‖item‖² − bias²)]</c>, users searched as <c>[user, 1, 0]</c>, squared
    /// Euclidean distance: <c>‖q‖² + R² − 2·score</c> (the usual reduction of maximum inner product to nearest
    /// neighbour). The graph is built on a true metric. R is fixed at build with headroom; an item added later with a
    /// larger norm is stored with a zero last value and ranks slightly lower than its score.
    /// </summary>
    Euclidean,

    /// <summary>Items stored as <c>[item, bias]</c>, users as <c>[user, 1]</c>, inner-product distance <c>1 − score</c>.</summary>
    InnerProduct,
}
