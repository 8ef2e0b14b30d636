using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Orleans.LlmRec.Silo.Serving;

/// <summary>Healthy once the catalogue and model are loaded (unhealthy before: not ready); reports what is served.</summary>
public sealed class ServingHealthCheck(SiloModelLoader loader) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!loader.IsLoaded) return Task.FromResult(HealthCheckResult.Unhealthy("the catalogue and model are not loaded yet"));
        var serving = loader.Serving;
        var model = serving.Current;
        return Task.FromResult(HealthCheckResult.Healthy($"{model.Kind} model {model.Version}, {serving.Catalogue.Count} items", new Dictionary<string, object>
        {
            ["modelKind"] = model.Kind.ToString(),
            ["modelVersion"] = model.Version,
            ["items"] = serving.Catalogue.Count,
            ["dimension"] = model.Dimension,
        }));
    }
}
