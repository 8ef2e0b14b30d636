using System.Diagnostics.Metrics;

namespace Orleans.LlmRec.Silo.Memory;

/// <summary>
/// Grain activations in this process, from Orleans' own catalog counters (created minus destroyed), read in-process
/// with a <see cref="MeterListener"/> so nothing has to be exported or asked of a grain.
/// </summary>
public sealed class ActivationCount : IDisposable
{
    public const string MeterName = "Microsoft.Orleans";
    public const string CreatedInstrument = "orleans-catalog-activation-created";
    public const string DestroyedInstrument = "orleans-catalog-activation-destroyed";

    private readonly MeterListener _listener = new();
    private long _created;
    private long _destroyed;

    public ActivationCount()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name is CreatedInstrument or DestroyedInstrument)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) =>
        {
            if (instrument.Name == CreatedInstrument) Interlocked.Add(ref _created, value);
            else Interlocked.Add(ref _destroyed, value);
        });
        _listener.Start();
    }

    /// <summary>Activations created and not yet destroyed since this listener started (never below zero).</summary>
    public long Active => Math.Max(0, Volatile.Read(ref _created) - Volatile.Read(ref _destroyed));

    /// <summary>Activations created since this listener started.</summary>
    public long Created => Volatile.Read(ref _created);

    /// <summary>Activations destroyed since this listener started.</summary>
    public long Destroyed => Volatile.Read(ref _destroyed);

    public void Dispose() => _listener.Dispose();
}
