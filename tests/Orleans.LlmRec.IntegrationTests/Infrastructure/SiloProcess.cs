using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// The silo as its own operating-system process (<c>dotnet Orleans.LlmRec.Silo.dll --urls ... --Section:Key=value</c>),
/// as an operator runs it, so it can be killed without a graceful shutdown. The test project references the silo
/// project, so the build copies the silo's assembly, runtimeconfig and deps files next to the tests.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int KeptOutputLines = 200;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();

    private SiloProcess(string name, Process process, Uri address)
    {
        Name = name;
        _process = process;
        Address = address;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }
    public Uri Address { get; }
    public HttpClient Client { get; }
    public bool HasExited => _process.HasExited;

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    public static string SiloAssembly
    {
        get
        {
            var path = Path.Combine(AppContext.BaseDirectory, "Orleans.LlmRec.Silo.dll");
            var runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
            if (!File.Exists(path) || !File.Exists(runtimeConfig))
            {
                throw new InvalidOperationException(
                    $"{path} or its runtimeconfig.json is missing; build the test project (it references the silo project) before running it.");
            }
            return path;
        }
    }

    /// <summary>Starts the process and waits until <c>/health</c> answers 200.</summary>
    public static async Task<SiloProcess> StartAsync(string name, int httpPort, IReadOnlyDictionary<string, string> settings, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var address = new Uri($"http://127.0.0.1:{httpPort.ToString(CultureInfo.InvariantCulture)}");
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = workingDirectory ?? AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(SiloAssembly);
        start.ArgumentList.Add($"--urls={address}");
        foreach (var (key, value) in settings) start.ArgumentList.Add($"--{key}={value}");
        start.Environment["DOTNET_ENVIRONMENT"] = "Production";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;

        var process = Process.Start(start) ?? throw new InvalidOperationException($"Silo {name} did not start.");
        var silo = new SiloProcess(name, process, address);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (process.HasExited)
            {
                var output = silo.RecentOutput;
                // Read before disposing: a disposed Process has no exit code to give.
                var exitCode = process.ExitCode;
                await silo.DisposeAsync();
                throw new InvalidOperationException($"Silo {name} exited with code {exitCode} while starting:{Environment.NewLine}{output}");
            }
            try
            {
                using var health = await silo.Client.GetAsync("/health");
                if (health.IsSuccessStatusCode) return silo;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                var output = silo.RecentOutput;
                await silo.DisposeAsync();
                throw new TimeoutException($"Silo {name} was not healthy after {timeout.TotalSeconds} s:{Environment.NewLine}{output}");
            }
            await Task.Delay(200);
        }
    }

    /// <summary>Ends the process at once, as a crash or an OOM kill would: no shutdown, nothing flushed.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await KillAsync();
        _process.Dispose();
    }

    private long _bytes;
    private long _lines;
    private long _stackLines;
    private readonly ConcurrentDictionary<string, int> _linesByCategory = new(StringComparer.Ordinal);
    private string _category = "";

    /// <summary>What the process has written so far: bytes, lines, stack-trace lines (<c>   at ...</c>), lines per log category.</summary>
    public OutputVolume Output => new(Interlocked.Read(ref _bytes), Interlocked.Read(ref _lines), Interlocked.Read(ref _stackLines), new Dictionary<string, int>(_linesByCategory));

    private void Keep(string? line)
    {
        if (line is null) return;
        Interlocked.Add(ref _bytes, System.Text.Encoding.UTF8.GetByteCount(line) + 1);
        Interlocked.Increment(ref _lines);
        if (line.TrimStart().StartsWith("at ", StringComparison.Ordinal)) Interlocked.Increment(ref _stackLines);
        // The console formatter starts an entry with "warn: Category[id]"; the lines after it belong to that entry.
        if (line.Length > 6 && line[4] == ':' && line.IndexOf('[', StringComparison.Ordinal) is > 6 and var bracket) _category = line[6..bracket];
        _linesByCategory.AddOrUpdate(_category, 1, static (_, n) => n + 1);
        _output.Enqueue(line);
        while (_output.Count > KeptOutputLines) _output.TryDequeue(out _);
    }

    /// <summary>The dotnet host that runs the tests (the CLI sets DOTNET_HOST_PATH for its children), else the one on PATH.</summary>
    internal static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)) return host;
        if (Environment.ProcessPath is { } current && Path.GetFileNameWithoutExtension(current) == "dotnet") return current;
        return "dotnet";
    }
}

/// <summary>A process's output so far (<see cref="SiloProcess.Output"/>); subtract two to get what was written between.</summary>
public sealed record OutputVolume(long Bytes, long Lines, long StackTraceLines, IReadOnlyDictionary<string, int> LinesByCategory)
{
    public OutputVolume Since(OutputVolume earlier) => new(Bytes - earlier.Bytes, Lines - earlier.Lines, StackTraceLines - earlier.StackTraceLines,
        LinesByCategory.Select(c => (c.Key, c.Value - earlier.LinesByCategory.GetValueOrDefault(c.Key))).Where(c => c.Item2 > 0).ToDictionary(c => c.Key, c => c.Item2));

    public override string ToString() =>
        $"{Bytes:N0} bytes, {Lines:N0} lines, {StackTraceLines:N0} stack-trace lines; by category: " +
        string.Join(", ", LinesByCategory.OrderByDescending(c => c.Value).Select(c => $"{(c.Key.Length == 0 ? "(none)" : c.Key)} {c.Value}"));
}

