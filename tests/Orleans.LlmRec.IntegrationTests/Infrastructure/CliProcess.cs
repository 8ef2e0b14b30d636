using System.Diagnostics;
using System.Text;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>Runs <c>llmrec</c> (the CLI, built next to the tests through its project reference) as a process.</summary>
public static class CliProcess
{
    public sealed record Result(int ExitCode, string Output);

    public static async Task<Result> RunAsync(TimeSpan timeout, params string[] args)
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "llmrec.dll");
        if (!File.Exists(cli)) throw new InvalidOperationException($"{cli} is missing; build the test project (it references the CLI project).");
        var start = new ProcessStartInfo(SiloProcess.DotnetHost())
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(cli);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("llmrec did not start.");
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"llmrec {string.Join(' ', args)} ran longer than {timeout.TotalSeconds} s:{Environment.NewLine}{output}");
        }
        process.WaitForExit();
        lock (output) return new Result(process.ExitCode, output.ToString());
    }
}
