using System.ComponentModel.DataAnnotations;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>Which model the silo serves (configuration section <c>Model</c>).</summary>
public sealed class ModelOptions : IValidatableObject
{
    public const string SectionName = "Model";

    /// <summary>A model directory written by <c>llmrec train</c>; unset = train <see cref="Kind"/> on the catalogue at start.</summary>
    public string? Directory { get; set; }

    /// <summary>Model trained at start when no directory is set: one of <see cref="ModelKindNames.List"/>.</summary>
    public string Kind { get; set; } = "bpr";

    // The trainer's hyper-parameters under the names TrainerSettings and the CLI use; unset keeps the trainer's default.
    public int Seed { get; set; } = 42;

    [Range(1, 4_096, ErrorMessage = "Model:Factors must lie in [1, 4096].")]
    public int? Factors { get; set; }

    [Range(1, 100_000, ErrorMessage = "Model:Epochs must lie in [1, 100000].")]
    public int? Epochs { get; set; }

    [Range(1e-9, 10.0, ErrorMessage = "Model:LearningRate must lie in [1e-9, 10].")]
    public double? LearningRate { get; set; }

    [Range(0.0, 10.0, ErrorMessage = "Model:Regularization must lie in [0, 10].")]
    public double? Regularization { get; set; }

    [Range(1, 16, ErrorMessage = "Model:Layers must lie in [1, 16].")]
    public int? Layers { get; set; }

    /// <summary>GF-CF: weight of the ideal low-pass filter (the centre of the validated candidates).</summary>
    [Range(0.0, 100.0, ErrorMessage = "Model:FilterAlpha must lie in [0, 100].")]
    public double? FilterAlpha { get; set; }

    /// <summary>GF-CF: spectral rank kept of the linear item–item filter.</summary>
    [Range(0, 4_096, ErrorMessage = "Model:LinearRank must lie in [0, 4096].")]
    public int? LinearRank { get; set; }

    /// <summary>Where the ONNX scoring graphs are written; unset = a folder under the system temp path.</summary>
    public string? OnnxFolder { get; set; }

    /// <summary>
    /// How often each silo checks <see cref="Directory"/>'s manifest and reloads a new model version by itself (the
    /// same swap as <c>POST /v1/admin/model/reload</c>); zero = never. With a directory every silo of a cluster shares,
    /// one <c>llmrec train --out</c> rolls the new model out to all of them.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00", ErrorMessage = "Model:WatchInterval must lie in [00:00:00, 1.00:00:00].")]
    public TimeSpan WatchInterval { get; set; }

    /// <summary>The settings the start-up training hands the trainer (when no <see cref="Directory"/> is set).</summary>
    public TrainerSettings ToTrainerSettings() => new()
    {
        Seed = Seed,
        Factors = Factors,
        Epochs = Epochs,
        LearningRate = LearningRate,
        Regularization = Regularization,
        Layers = Layers,
        FilterAlpha = FilterAlpha,
        LinearRank = LinearRank,
    };

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Directory is null && !ModelKindNames.TryParse(Kind, out _))
        {
            yield return new ValidationResult($"Model:Kind '{Kind}' is not a model kind ({ModelKindNames.List}).", [nameof(Kind)]);
        }
        // Zero turns the watch off; a positive period below a second would only spin on the manifest.
        if (WatchInterval > TimeSpan.Zero && WatchInterval < TimeSpan.FromSeconds(1))
        {
            yield return new ValidationResult($"Model:WatchInterval ({WatchInterval}) must be zero (off) or at least 00:00:01.", [nameof(WatchInterval)]);
        }
        if (Directory is not null && !System.IO.Directory.Exists(Directory))
        {
            yield return new ValidationResult($"Model:Directory '{Directory}' does not exist.", [nameof(Directory)]);
        }
    }
}
