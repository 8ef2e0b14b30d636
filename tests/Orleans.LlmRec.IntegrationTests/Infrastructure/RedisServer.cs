using System.Diagnostics;
using System.Runtime.InteropServices;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>
/// A real redis-server process on a free loopback port, killed on dispose. With <c>persistent</c>, an append-only file
/// in its temp folder keeps every acknowledged write across a kill -9 and a restart on the same port (the fault tests);
/// otherwise nothing is persisted.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private const int SigCont = 18;
    private const int SigStop = 19;

    private readonly string _executable;
    private readonly string _directory;
    private readonly bool _persistent;
    private readonly string? _password;
    private Process _process;

    private RedisServer(string executable, int port, string directory, bool persistent, string? password)
    {
        _executable = executable;
        Port = port;
        _directory = directory;
        _persistent = persistent;
        _password = password;
        _process = null!;
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <param name="persistent">Keep an append-only file, so a kill -9 and restart loses nothing acknowledged.</param>
    /// <param name="password">When set, the server asks for it (<c>requirepass</c>); <see cref="ConnectionString"/> stays without it.</param>
    public static async Task<RedisServer> StartAsync(bool persistent = false, string? password = null)
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException("redis-server is not installed; the integration tests need it (apt-get install redis-server).");
        var server = new RedisServer(executable, FreePorts.Take(1)[0], Directory.CreateTempSubdirectory("llmrec-redis-").FullName, persistent, password);
        await server.LaunchAsync();
        return server;
    }

    /// <summary>Ends the process at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>Starts it again on the same port and folder (with persistence, on the same data).</summary>
    public Task RestartAsync()
    {
        _process.Dispose();
        return LaunchAsync();
    }

    /// <summary>Freezes the process (SIGSTOP): connections stay open, nothing is answered, as in a long GC or a VM pause.</summary>
    public void Pause() => Signal(SigStop);

    /// <summary>Lets a paused process run again (SIGCONT); what was sent meanwhile is then executed.</summary>
    public void Resume() => Signal(SigCont);

    private void Signal(int signal)
    {
        if (Kill(_process.Id, signal) != 0) throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastWin32Error()}");
    }

#pragma warning disable SYSLIB1054 // LibraryImport would need unsafe code enabled for one libc call.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
#pragma warning restore SYSLIB1054

    private async Task LaunchAsync()
    {
        var start = new ProcessStartInfo(_executable)
        {
            ArgumentList = { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--dir", _directory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // everysec: Redis write()s the log before it answers; only the fsync is deferred, and a killed process (not a
        // lost machine) loses nothing the kernel already holds.
        foreach (var arg in _persistent ? ["--appendonly", "yes", "--appendfsync", "everysec"] : new[] { "--appendonly", "no" }) start.ArgumentList.Add(arg);
        if (_password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(_password);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(ConnectionString + (_password is null ? "" : $",password={_password}"));
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException) when (attempt < 100 && !process.HasExited)
            {
                // Loading the append-only file, or not listening yet.
                await Task.Delay(100);
            }
        }
    }

    private static string? FindExecutable()
    {
        var paths = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin").Append("/usr/local/bin");
        return paths.Select(p => Path.Combine(p, "redis-server")).FirstOrDefault(File.Exists);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Resume();
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
