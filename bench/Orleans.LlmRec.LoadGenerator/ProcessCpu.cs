using System.Globalization;

namespace Orleans.LlmRec.LoadGenerator;

/// <summary>
/// CPU time of other processes on this machine (Linux <c>/proc/PID/stat</c>: user + system time of all threads), read
/// at the start and end of a measured window. Divided by the operations of the window it gives CPU per request or
/// event: on a shared VM whose neighbours move throughput a lot between identical runs, a much steadier figure
/// to compare two builds by.
/// </summary>
internal sealed record WatchedProcess(string Name, int Pid)
{
    /// <summary>The load generator itself (its client; in the ceiling's window, the client and the bare server).</summary>
    public const string Self = "load";

    /// <summary>Parses <c>silo=1234,redis=5678</c>; the load generator itself is watched too when any other process is.</summary>
    public static IReadOnlyList<WatchedProcess> ParseList(string? text) =>
        string.IsNullOrWhiteSpace(text) ? []
        : [.. text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Parse), new(Self, Environment.ProcessId)];

    private static WatchedProcess Parse(string entry)
    {
        var parts = entry.Split('=', 2);
        if (parts.Length != 2 || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
        {
            throw new ArgumentException($"--cpu-of expects name=pid pairs separated by commas, not '{entry}'.");
        }
        return new WatchedProcess(parts[0], pid);
    }

    /// <summary>CPU seconds used so far, or null when the process cannot be read (gone, or not Linux).</summary>
    public double? CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{Pid}/stat");
            // Fields after the command name, which is in parentheses and may contain spaces: utime and stime are the
            // 14th and 15th fields of the line, the 12th and 13th after the name.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return ticks / (double)ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>USER_HZ, which the kernel fixes at 100 on every mainstream Linux architecture.</summary>
    private const int ClockTicksPerSecond = 100;
}

/// <summary>CPU seconds each watched process used during one measured window.</summary>
internal sealed class CpuWindow(IReadOnlyList<WatchedProcess> processes)
{
    private double?[] _start = [];
    private readonly Dictionary<string, double> _used = [];

    public void Start() => _start = processes.Select(p => p.CpuSeconds()).ToArray();

    public void Stop()
    {
        for (var i = 0; i < processes.Count; i++)
        {
            if (_start[i] is { } start && processes[i].CpuSeconds() is { } end) _used[processes[i].Name] = end - start;
        }
    }

    public IReadOnlyDictionary<string, double> UsedSeconds => _used;
}

/// <summary>A prefilled stream applied and acknowledged by the consumers: its rate, and the watched processes' CPU per event.</summary>
internal sealed record Drained(string Name, long Events, TimeSpan Elapsed, bool Complete, IReadOnlyDictionary<string, double> CpuSeconds)
{
    public double PerSecond => Events / Elapsed.TotalSeconds;

    public double? CpuMicrosecondsPerEvent(string process) => CpuSeconds.TryGetValue(process, out var seconds) ? seconds * 1e6 / Events : null;

    public override string ToString() =>
        $"{Name,-28} {PerSecond,9:N0} events/s ({Events:N0} events applied and acknowledged in {Elapsed.TotalSeconds:F2} s){(Complete ? "" : " — NOT DRAINED")}" +
        string.Concat(CpuSeconds.Keys.Select(p => $"  {p} {CpuMicrosecondsPerEvent(p):F1} µs CPU/event"));
}
