using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.IntegrationTests.Llm;
using StreamEntryFields = Orleans.LlmRec.Silo.Ingestion.StreamEntryParser;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// infra/: the Prometheus configuration and alert rules pass <c>promtool</c>, and every metric the Grafana dashboard
/// and the alerts name is present in real <c>/metrics</c> scrapes: a silo over Redis that consumed the event stream
/// and served feeds (with a 304, a refused batch, a duplicate and a dead-lettered entry), and a silo whose LLM answered.
/// </summary>
[Collection(ServiceOverRedis.Name)]
public sealed partial class ObservabilityConfigTests(ServiceFixture service, FastLlmFixture llm) : IClassFixture<FastLlmFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private const string MetricsKeySecret = "/run/secrets/llmrec-metrics-key";

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public async Task Promtool_accepts_the_Prometheus_config_and_the_alert_rules()
    {
        var original = Path.Combine(Infra, "prometheus", "prometheus.yml");
        var syntax = await RunAsync("promtool", "check", "config", "--syntax-only", original);
        Assert.True(syntax.ExitCode == 0, syntax.Output);
        // The full check also opens every file the config names: the scrape key is a compose secret, absent here, so
        // a copy points at a stand-in (and must name the same secret the compose file mounts).
        var text = await File.ReadAllTextAsync(original);
        Assert.Equal(2, CountOf(text, "credentials_file: " + MetricsKeySecret));
        Assert.Contains("llmrec-metrics-key", await File.ReadAllTextAsync(Path.Combine(Infra, "..", "docker-compose.yml")), StringComparison.Ordinal);
        var folder = Directory.CreateTempSubdirectory("llmrec-prometheus-");
        try
        {
            var key = Path.Combine(folder.FullName, "metrics-key");
            await File.WriteAllTextAsync(key, "llmrec_stand-in\n");
            File.Copy(Path.Combine(Infra, "prometheus", "alerts.yml"), Path.Combine(folder.FullName, "alerts.yml"));
            var copy = Path.Combine(folder.FullName, "prometheus.yml");
            await File.WriteAllTextAsync(copy, text.Replace(MetricsKeySecret, key, StringComparison.Ordinal));
            var config = await RunAsync("promtool", "check", "config", copy);
            Assert.True(config.ExitCode == 0, config.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
        var rules = await RunAsync("promtool", "check", "rules", Path.Combine(Infra, "prometheus", "alerts.yml"));
        Assert.True(rules.ExitCode == 0, rules.Output);
        Assert.Contains("6 rules found", rules.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void The_Kubernetes_rules_ConfigMap_holds_the_same_alert_rules()
    {
        var configMap = File.ReadAllLines(Path.Combine(Infra, "k8s", "prometheus-rules.yaml"));
        var start = Array.FindIndex(configMap, l => l.Trim() == "alerts.yml: |") + 1;
        Assert.True(start > 0, "no alerts.yml key in infra/k8s/prometheus-rules.yaml");
        var embedded = configMap[start..].Select(l => l.Length >= 4 ? l[4..] : l.Trim());
        Assert.Equal(File.ReadAllLines(Path.Combine(Infra, "prometheus", "alerts.yml")), embedded);
    }

    [Fact]
    public async Task Every_metric_the_Grafana_dashboard_and_the_alerts_name_is_in_a_real_scrape()
    {
        var named = GrafanaMetrics().Concat(AlertMetrics()).Where(m => m != "up").ToHashSet(StringComparer.Ordinal);
        Assert.Contains("llmrec_feeds_served_total", named);
        Assert.Contains("llmrec_llm_tokens_total", named);

        await MakeTrafficOnTheStreamSiloAsync();
        await MakeTheLlmAnswerAsync();
        var scraped = new HashSet<string>(StringComparer.Ordinal);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            scraped.UnionWith(MetricNames(await service.Client.GetStringAsync("/metrics")));
            scraped.UnionWith(MetricNames(await llm.Silo.Client.GetStringAsync("/metrics")));
            var missing = named.Except(scraped).Order(StringComparer.Ordinal).ToList();
            if (missing.Count == 0) return;
            Assert.True(DateTime.UtcNow < deadline, $"named in infra/ but not scraped: {string.Join(", ", missing)}");
            await Task.Delay(500);
        }
    }

    private async Task MakeTrafficOnTheStreamSiloAsync()
    {
        var userId = $"obs-{Guid.NewGuid():N}";
        var items = service.World.PopularItems();
        await service.PostEventsAsync(ServiceFixture.Event($"{userId}-1", userId, items[0]), ServiceFixture.Event($"{userId}-1", userId, items[0]));
        using (var refused = await service.Client.PostAsync("/v1/events", new StringContent("[{\"userId\":\"\"}]", System.Text.Encoding.UTF8, "application/json")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        }
        using var first = await service.Client.GetAsync($"/v1/users/{userId}/feed");
        first.EnsureSuccessStatusCode();
        using var again = new HttpRequestMessage(HttpMethod.Get, $"/v1/users/{userId}/feed");
        again.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var notModified = await service.Client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(service.Redis.ConnectionString);
        var db = redis.GetDatabase();
        var click = StreamClick($"{userId}-s1", userId, items[1]);
        await db.StreamAddAsync(ServiceFixture.StreamKey, click);
        await db.StreamAddAsync(ServiceFixture.StreamKey, click);
        await db.StreamAddAsync(ServiceFixture.StreamKey, [new NameValueEntry(StreamEntryFields.EventIdField, $"{userId}-broken")]);
    }

    private async Task MakeTheLlmAnswerAsync()
    {
        var userId = $"obs-llm-{Guid.NewGuid():N}";
        var items = llm.World.PopularItems();
        for (var i = 0; i < 3; i++) await llm.ClickAsync(userId, items[i]);
        await llm.Api.GetFeedAsync(userId, "k=10");
    }

    private static NameValueEntry[] StreamClick(string eventId, string userId, string itemId) =>
    [
        new(StreamEntryFields.EventIdField, eventId),
        new(StreamEntryFields.UserIdField, userId),
        new(StreamEntryFields.ItemIdField, itemId),
        new(StreamEntryFields.TypeField, "click"),
        new(StreamEntryFields.TimestampField, DateTimeOffset.UtcNow.AddSeconds(-5).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)),
    ];

    private static string Infra
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Orleans.LlmRec.sln"))) return Path.Combine(dir.FullName, "infra");
            }
            throw new InvalidOperationException("The repository root (Orleans.LlmRec.sln) is not above the test's directory.");
        }
    }

    /// <summary>The metric names of every <c>expr</c> in infra/grafana/llmrec-dashboard.json.</summary>
    private static IEnumerable<string> GrafanaMetrics()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(Infra, "grafana", "llmrec-dashboard.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.True(panels.Count > 10, "the Grafana dashboard has too few panels");
        return panels.Where(p => p.TryGetProperty("targets", out _))
            .SelectMany(p => p.GetProperty("targets").EnumerateArray())
            .SelectMany(t => MetricsIn(t.GetProperty("expr").GetString()!))
            .ToList();
    }

    private static IEnumerable<string> AlertMetrics() =>
        ExprLine().Matches(File.ReadAllText(Path.Combine(Infra, "prometheus", "alerts.yml"))).SelectMany(m => MetricsIn(m.Groups[1].Value)).ToList();

    /// <summary>Metric names in a PromQL expression: identifiers outside label matchers and grouping clauses that are no PromQL function or keyword.</summary>
    private static IEnumerable<string> MetricsIn(string expr)
    {
        var bare = Grouping().Replace(Ranges().Replace(Matchers().Replace(Quoted().Replace(expr, "\"\""), ""), ""), "");
        return Identifier().Matches(bare).Select(m => m.Value)
            .Where(name => !PromQlWords.Contains(name) && !name.All(char.IsDigit));
    }

    private static readonly HashSet<string> PromQlWords = new(StringComparer.Ordinal)
    {
        "sum", "max", "min", "avg", "rate", "deriv", "histogram_quantile", "by", "and", "or", "unless", "on", "without", "m", "s",
    };

    private static IEnumerable<string> MetricNames(string scrape) =>
        ScrapeLine().Matches(scrape).Select(m => m.Groups[1].Value);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, params string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await stdout + await stderr);
    }

    [GeneratedRegex(@"^\s*expr:\s*(.+)$", RegexOptions.Multiline)]
    private static partial Regex ExprLine();

    [GeneratedRegex("\"[^\"]*\"")]
    private static partial Regex Quoted();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(by|without|on)\s*\([^)]*\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    [GeneratedRegex(@"[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex Identifier();

    [GeneratedRegex(@"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline)]
    private static partial Regex ScrapeLine();
}
