using Microsoft.Extensions.Options;
using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Silo.Configuration;

/// <summary>Checks the <c>Scoring</c> section at start, with the scorer's own rules, so a bad value stops the host early.</summary>
internal sealed class ScorerOptionsValidator : IValidateOptions<ScorerOptions>
{
    public ValidateOptionsResult Validate(string? name, ScorerOptions options)
    {
        try
        {
            options.Validate();
            return ValidateOptionsResult.Success;
        }
        catch (ArgumentOutOfRangeException e)
        {
            return ValidateOptionsResult.Fail($"Scoring:{e.ParamName}: {e.Message}");
        }
    }
}
