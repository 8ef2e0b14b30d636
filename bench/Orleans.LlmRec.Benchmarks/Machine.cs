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
