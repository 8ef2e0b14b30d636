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
}
