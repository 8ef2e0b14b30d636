using Orleans.LlmRec.Scoring;

namespace Orleans.LlmRec.Silo.Serving;

/// <summary>
/// Loads the catalogue and model before the silo and Kestrel start (it is registered before Orleans), and runs one
/// scoring request so the first user's feed does not pay for JIT and ONNX Runtime warm-up inside its budget.
/// </summary>
public sealed class ServingStartup(SiloModelLoader loader) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var serving = await Task.Run(() => loader.Serving, cancellationToken);
        var model = serving.Current;
        await serving.Scorer.ScoreAsync(new ScoringRequest(new float[model.Dimension], 0f, Math.Min(20, model.ItemCount)), cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
