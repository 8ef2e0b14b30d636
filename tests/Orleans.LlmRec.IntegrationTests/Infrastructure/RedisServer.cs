using System.Diagnostics;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests.Infrastructure;

/// <summary>A real redis-server process on a free loopback port, with no persistence, killed on dispose.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private RedisServer(Process process, int port, string directory)
    {
        _process = process;
        Port = port;
        _directory = directory;
    }

    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    /// <param name="password">When set, the server asks for it (<c>requirepass</c>); <see cref="ConnectionString"/> stays without it.</param>
    public static async Task<RedisServer> StartAsync(string? password = null)
    {
        var executable = FindExecutable()
            ?? throw new InvalidOperationException("redis-server is not installed; the integration tests need it (apt-get install redis-server).");
        var port = FreePorts.Take(1)[0];
        var directory = Directory.CreateTempSubdirectory("llmrec-redis-").FullName;
        var start = new ProcessStartInfo(executable)
        {
            ArgumentList = { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (password is not null)
        {
            start.ArgumentList.Add("--requirepass");
            start.ArgumentList.Add(password);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new RedisServer(process, port, directory);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString + (password is null ? "" : $",password={password}"));
                await connection.GetDatabase().PingAsync();
                return server;
            }
            catch (RedisConnectionException) when (attempt < 50 && !process.HasExited)
            {
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
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
