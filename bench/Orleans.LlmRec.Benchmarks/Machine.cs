namespace Orleans.LlmRec.Benchmarks;

/// <summary>What the results need to say about the machine they were measured on.</summary>
internal static class Machine
{
    /// <summary>The 1, 5 and 15 minute load averages: the machine is shared, so every result records them.</summary>
    public static string LoadAverage()
    {
        const string path = "/proc/loadavg";
        if (!File.Exists(path)) return "unknown (no /proc/loadavg)";
        var fields = File.ReadAllText(path).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length >= 3 ? $"{fields[0]} {fields[1]} {fields[2]}" : "unknown";
    }
}

/// <summary>
/// CPU time from the kernel (<c>clock_gettime</c>), in microseconds: what a piece of work cost in processor time,
/// which a loaded machine stretches far less than wall-clock time (preemption is not counted).
/// </summary>
internal static class CpuClock
{
    private const int ProcessClock = 2;
    private const int ThreadClock = 3;

    /// <summary>CPU time of the calling thread so far.</summary>
    public static double ThreadMicroseconds() => Read(ThreadClock);

    /// <summary>CPU time of every thread of the process so far.</summary>
    public static double ProcessMicroseconds() => Read(ProcessClock);

    private static double Read(int clock)
    {
        if (!OperatingSystem.IsLinux() || ClockGetTime(clock, out var time) != 0) return double.NaN;
        return time.Seconds * 1e6 + time.Nanoseconds / 1e3;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }
}
