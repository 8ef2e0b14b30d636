using System.ComponentModel.DataAnnotations;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>Which model the silo serves (configuration section <c>Model</c>).</summary>
public sealed class ModelOptions : IValidatableObject
{
    public const string SectionName = "Model";

    /// <summary>A model directory written by <c>llmrec train</c>; unset = train <see cref="Kind"/> on the catalogue at start.</summary>
    public string? Directory { get; set; }

    /// <summary>Model trained at start when no directory is set: one of <see cref="ModelKindNames.List"/>.</summary>
    public string Kind { get; set; } = "bpr";

    public int Seed { get; set; } = 42;
    public int? Factors { get; set; }
    public int? Epochs { get; set; }
    public double? LearningRate { get; set; }
    public double? Regularization { get; set; }
    public int? Layers { get; set; }

    /// <summary>Where the ONNX scoring graphs are written; unset = a folder under the system temp path.</summary>
    public string? OnnxFolder { get; set; }

    /// <summary>
    /// How often each silo checks <see cref="Directory"/>'s manifest and reloads a new model version by itself (the
    /// same swap as <c>POST /v1/admin/model/reload</c>); 0 = never. With a directory every silo of a cluster shares,
    /// one <c>llmrec train --out</c> rolls the new model out to all of them.
    /// </summary>
    [Range(0, 86_400, ErrorMessage = "Model:WatchIntervalSeconds must lie in [0, 86400].")]
    public int WatchIntervalSeconds { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Directory is null && !ModelKindNames.TryParse(Kind, out _))
        {
            yield return new ValidationResult($"Model:Kind '{Kind}' is not a model kind ({ModelKindNames.List}).", [nameof(Kind)]);
        }
        if (Directory is not null && !System.IO.Directory.Exists(Directory))
        {
            yield return new ValidationResult($"Model:Directory '{Directory}' does not exist.", [nameof(Directory)]);
        }
        if (Factors is < 1) yield return new ValidationResult("Model:Factors must be positive.", [nameof(Factors)]);
        if (Epochs is < 1) yield return new ValidationResult("Model:Epochs must be positive.", [nameof(Epochs)]);
    }
}
