using System.Diagnostics;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>
/// What a training progress bar shows: the phase (early-stop search, refit), epoch and batch, loss, rate and time
/// left in the phase; and, at the end, the epochs the saved model was trained for (the manifest's "epochs") beside
/// the epochs run in all.
/// </summary>
internal sealed class TrainingProgressView
{
    private const string SearchPhase = "early-stop search";

    private readonly string _model;
    private readonly bool _searchesEpochs;
    private readonly Func<TimeSpan> _clock;
    private readonly List<(string? Name, int Epochs)> _phases = [];
    private TimeSpan _phaseStart;
    private int _lastEpoch;
    private TimeSpan _lastReport;

    /// <param name="searchesEpochs">Whether the trainer first searches the epoch count on a validation split.</param>
    /// <param name="clock">Time since training started; a stopwatch by default (tests pass their own).</param>
    public TrainingProgressView(string model, bool searchesEpochs, Func<TimeSpan>? clock = null)
    {
        _model = model;
        _searchesEpochs = searchesEpochs;
        var watch = Stopwatch.StartNew();
        _clock = clock ?? (() => watch.Elapsed);
    }

    /// <summary>Value and maximum for the bar: the share of the current phase done.</summary>
    public double Value { get; private set; }
    public double MaxValue { get; private set; } = 1;

    /// <summary>Phases seen so far; a new one starts when the phase name changes or the epoch count starts over.</summary>
    public int PhaseCount => _phases.Count;

    /// <summary>Epochs completed, every phase together.</summary>
    public int EpochsRun => _phases.Sum(p => p.Epochs);

    public string Update(TrainingProgress p)
    {
        var name = p.Phase ?? Infer(p);
        var now = _clock();
        if (_phases.Count == 0 || _phases[^1].Name != name || p.Epoch < _lastEpoch)
        {
            // A phase began when the previous one last reported (the first, when training started): its first
            // epoch was already running when it first reports.
            _phases.Add((name, 0));
            _phaseStart = _lastReport;
        }
        _lastEpoch = p.Epoch;
        _lastReport = now;
        var withinEpoch = p.Batch > 0 && p.BatchesPerEpoch > 0;
        if (!withinEpoch) _phases[^1] = (name, _phases[^1].Epochs + 1);
        var epochsDone = withinEpoch ? p.Epoch - 1 + (double)p.Batch / p.BatchesPerEpoch : p.Epoch;
        MaxValue = Math.Max(1, p.TotalEpochs);
        Value = Math.Min(MaxValue, epochsDone);

        var elapsed = (now - _phaseStart).TotalSeconds;
        var text = $"train {_model}";
        if (name is not null) text += $" · {name}";
        text += $" · epoch {p.Epoch}/{p.TotalEpochs}";
        if (withinEpoch) text += $" batch {p.Batch}/{p.BatchesPerEpoch}";
        text += $" · loss {p.Loss:F4}";
        if (p.Validation is { } v) text += $" val {v:F4}";
        if (elapsed > 0 && epochsDone > 0)
        {
            var perEpoch = elapsed / epochsDone;
            text += withinEpoch ? $" · {p.BatchesPerEpoch / perEpoch:F1} batches/s" : $" · {perEpoch:F2} s/epoch";
            // Early stopping may end a search sooner: the time left is then at most this.
            var left = TimeSpan.FromSeconds(perEpoch * Math.Max(0, p.TotalEpochs - epochsDone));
            text += $" · {(name == SearchPhase ? "≤ " : "")}{Format(left)} left";
        }
        return text;
    }

    /// <summary>"120 epochs (early-stop search 150 + refit 120)" when the phases differ from the model's epochs.</summary>
    public string Summary(EmbeddingModel trained, double seconds)
    {
        var run = Math.Max(1, EpochsRun);
        var kept = trained.Parameters.TryGetValue("epochs", out var epochs) ? (int)epochs : run;
        var text = $"{kept} epoch(s)";
        if (_phases.Count > 1 || kept != run)
        {
            text += $" kept, {run} run ({string.Join(" + ", _phases.Select(p => $"{p.Name ?? "training"} {p.Epochs}"))})";
        }
        return $"{text} in {seconds:F1} s ({seconds / run:F3} s per epoch run)";
    }

    // Trainers that do not name their phases: LightGCN searches with a validation split first, then refits on all
    // training data under a note that says so.
    private string? Infer(TrainingProgress p) =>
        p.Note is { } note && note.StartsWith("refit", StringComparison.OrdinalIgnoreCase) ? "refit"
        : _searchesEpochs && (_phases.Count == 0 || _phases[^1].Name == SearchPhase) && !(p.Epoch < _lastEpoch) ? SearchPhase
        : null;

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss") : t.ToString(@"m\:ss");
}
