using System.ComponentModel.DataAnnotations;

namespace Orleans.LlmRec.Llm;

/// <summary>
/// Checks a nested options object (<c>Llm:Resilience</c>, <c>Llm:Cache</c>) with its own DataAnnotations and
/// <see cref="IValidatableObject"/> rules as part of its parent's check, which <see cref="Validator"/> does not do by
/// itself; every failure is reported, each naming its key.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class ValidateSubsectionAttribute : ValidationAttribute
{
    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        if (value is null) return ValidationResult.Success;
        var results = new List<ValidationResult>();
        if (Validator.TryValidateObject(value, new ValidationContext(value), results, validateAllProperties: true))
        {
            return ValidationResult.Success;
        }
        return new ValidationResult(string.Join(" ", results.Select(r => r.ErrorMessage)), [validationContext.MemberName ?? validationContext.DisplayName]);
    }
}
