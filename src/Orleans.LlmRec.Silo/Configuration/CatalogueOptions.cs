using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>Where the item catalogue comes from (configuration section <c>Catalogue</c>).</summary>
public sealed class CatalogueOptions
{
    public const string SectionName = "Catalogue";

    /// <summary>A data set (MovieLens folder or CSV file); unset = a synthetic catalogue generated at start.</summary>
    public string? DatasetPath { get; set; }

    /// <summary>Format name as <c>DatasetLoader</c> takes it: auto, movielens, ml-latest-small, ml-100k, ml-1m, csv.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Catalogue:Format must be set (auto, movielens, ml-latest-small, ml-100k, ml-1m or csv).")]
    public string Format { get; set; } = "auto";

    /// <summary>
    /// A side file written by <c>llmrec augment</c> (LLM-written item attributes, imported descriptions): its item text
    /// is added to the catalogue, so the LLM prompts and the TF-IDF re-ranker read it. Needs <see cref="DatasetPath"/>.
    /// </summary>
    public string? SideTextPath { get; set; }

    [Range(1, 1_000_000, ErrorMessage = "Catalogue:SyntheticUsers must lie in [1, 1000000].")]
    public int SyntheticUsers { get; set; } = 1_000;

    [Range(10, 1_000_000, ErrorMessage = "Catalogue:SyntheticItems must lie in [10, 1000000].")]
    public int SyntheticItems { get; set; } = 2_000;

    public int SyntheticSeed { get; set; } = 42;

    /// <summary>Training interactions a data-set user starts with on first visit (0 = every user starts cold).</summary>
    [Range(0, 10_000, ErrorMessage = "Catalogue:TrainingHistoryPerUser must lie in [0, 10000].")]
    public int TrainingHistoryPerUser { get; set; } = 200;

    /// <summary>The Redis stream every silo appends catalogue changes to and applies in order (with Redis configured).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Catalogue:LogKey must be set.")]
    public string LogKey { get; set; } = "llmrec:catalogue";

    /// <summary>
    /// How often a silo looks for other silos' catalogue changes (its own apply at once, and so does an event naming an
    /// item it does not know) while changes are coming; see <see cref="IdlePollAfter"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00", ErrorMessage = "Catalogue:LogPollInterval must lie in [00:00:00.005, 00:01:00].")]
    public TimeSpan LogPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// After this long without a change found, the catalogue log and the item stream count as idle and are read less
    /// and less often, the pause doubling up to <see cref="IdlePollInterval"/>; the first change found snaps it back.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00", ErrorMessage = "Catalogue:IdlePollAfter must lie in [00:00:00, 01:00:00].")]
    public TimeSpan IdlePollAfter { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Longest pause between reads of the idle catalogue log (and item stream): another silo's first change after a
    /// quiet spell reaches this silo's feeds up to this late. At or below <see cref="LogPollInterval"/> the log is polled
    /// evenly every <see cref="LogPollInterval"/>.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.005", "00:01:00", ErrorMessage = "Catalogue:IdlePollInterval must lie in [00:00:00.005, 00:01:00].")]
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a starting silo waits to replay the catalogue log before it serves the trained catalogue alone.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00", ErrorMessage = "Catalogue:LogReplayTimeout must lie in [00:00:01, 00:10:00].")]
    public TimeSpan LogReplayTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Compact the catalogue log once it holds this many entries (0 = never): a snapshot of the catalogue replaces the
    /// older entries (<c>CatalogueCompactor</c>), one silo at a time.
    /// </summary>
    [Range(0, 100_000_000, ErrorMessage = "Catalogue:LogCompactAboveEntries must lie in [0, 100000000] (0 = never compact).")]
    public int LogCompactAboveEntries { get; set; } = 10_000;

    /// <summary>How often each silo checks the log's length against <see cref="LogCompactAboveEntries"/>.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00", ErrorMessage = "Catalogue:LogCompactionCheckInterval must lie in [00:00:00.100, 01:00:00].")]
    public TimeSpan LogCompactionCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// Only log entries at least this old are folded into the snapshot: a silo less than this far behind reads on from
    /// the log; one further behind (down, cut off from Redis) applies the snapshot first.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Catalogue:LogCompactionMinAge must lie in [00:00:00, 1.00:00:00].")]
    public TimeSpan LogCompactionMinAge { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Read item publications from the Redis stream <see cref="ItemStreamKey"/> (needs Redis).</summary>
    public bool ItemStreamEnabled { get; set; }

    /// <summary>Producers' item stream: entries with <c>op</c> (put|delete), <c>itemId</c> and, for put, <c>json</c> (the PUT body).</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Catalogue:ItemStreamKey must be set.")]
    public string ItemStreamKey { get; set; } = "llmrec:items";

    [Required(AllowEmptyStrings = false, ErrorMessage = "Catalogue:ItemStreamGroup must be set.")]
    public string ItemStreamGroup { get; set; } = "llmrec-catalogue";

    /// <summary>Where item stream entries that can never be applied go, with the reason.</summary>
    [Required(AllowEmptyStrings = false, ErrorMessage = "Catalogue:ItemStreamDeadLetterKey must be set.")]
    public string ItemStreamDeadLetterKey { get; set; } = "llmrec:items:dead";
}
