using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// The operators' dashboard in a real headless Chromium (Debian's, driven by Playwright) against two silo processes
/// over one Redis, while traffic flows through both: the page loads without console errors, its headline figures
/// move with the traffic and settle after it, and the inspector shows a real user's feed with its explanations.
/// </summary>
public class DashboardBrowserTests(ITestOutputHelper output)
{
    /// <summary>Set to a file path to keep a screenshot of the dashboard under load (docs/dashboard.png is made so).</summary>
    public const string ScreenshotVariable = "LLMREC_DASHBOARD_SCREENSHOT";

    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task The_dashboard_follows_live_traffic_on_two_silos_and_inspects_a_real_users_feed()
    {
        await using var cluster = await LocalCluster.StartAsync(silos: 2, eventStream: false);
        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = browser.Page;
        await page.GotoAsync(new Uri(cluster.Silos[0].Address, "/dashboard").ToString());
        await WaitForAsync(page, "#conn-status", text => text == "live");
        await WaitForAsync(page, "#silo-count", text => text == "2");
        var grainsBefore = await NumberAsync(page, "#active-grains");

        var users = DataSetUsers(cluster.World, 160);
        using var traffic = new CancellationTokenSource();
        var served = 0;
        var failures = new ConcurrentQueue<string>();
        var items = cluster.World.PopularItems();
        var flowing = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
        {
            for (var round = 0; !traffic.IsCancellationRequested; round++)
            {
                for (var u = worker; u < users.Count && !traffic.IsCancellationRequested; u += 4)
                {
                    var silo = cluster.Silos[(u + round) % 2].Client;
                    var click = new[]
                    {
                        new { eventId = $"dash-{round}-{u}", userId = users[u], itemId = items[(u * 7 + round) % items.Count], type = "click", timestamp = DateTimeOffset.UtcNow },
                    };
                    using var posted = await silo.PostAsJsonAsync("/v1/events", click);
                    using var feed = await silo.GetAsync($"/v1/users/{users[u]}/feed");
                    if (!posted.IsSuccessStatusCode || !feed.IsSuccessStatusCode) failures.Enqueue($"{posted.StatusCode} {feed.StatusCode}: {await posted.Content.ReadAsStringAsync()}");
                    Interlocked.Increment(ref served);
                }
            }
        })));

        // While traffic flows: more user grains are active and the feed rate is above zero.
        await WaitForAsync(page, "#active-grains", text => Parse(text) >= grainsBefore + 40);
        await WaitForAsync(page, "#feed-rate", text => Parse(text) > 1);
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } screenshot)
        {
            await page.WaitForTimeoutAsync(8_000);
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        }
        var busyRate = await NumberAsync(page, "#feed-rate");
        traffic.Cancel();
        await flowing;
        output.WriteLine($"{served} feed requests; {busyRate} feeds/s on the page under load");
        Assert.True(failures.IsEmpty, string.Join(Environment.NewLine, failures.Take(5)));

        // After it: the feed rate falls to zero and the active-grain count stops moving.
        await WaitForAsync(page, "#feed-rate", text => Parse(text) == 0);
        await WaitUntilSteadyAsync(page, "#active-grains", TimeSpan.FromSeconds(3));

        // The inspector: a data-set user's current feed, each item with its explanation, on one of the two silos.
        var user = users[3];
        await page.FillAsync("#inspect-user", user);
        await page.ClickAsync("#inspect-form button");
        await page.WaitForSelectorAsync("#inspected-feed tbody tr", new() { Timeout = (float)Budget.TotalMilliseconds });
        var rows = await page.Locator("#inspected-feed tbody tr").AllAsync();
        Assert.NotEmpty(rows);
        foreach (var row in rows)
        {
            var cells = await row.Locator("td").AllInnerTextsAsync();
            Assert.False(string.IsNullOrWhiteSpace(cells[6]), $"no stage in {string.Join(" | ", cells)}");
            Assert.False(string.IsNullOrWhiteSpace(cells[7]), $"no explanation in {string.Join(" | ", cells)}");
        }
        var silos = await Task.WhenAll(cluster.Silos.Select(async s => (await LocalCluster.GetClusterAsync(s)).Silo));
        Assert.Contains(await page.InnerTextAsync("#inspected-silo"), silos);

        Assert.True(browser.Errors.IsEmpty, "console errors: " + string.Join(Environment.NewLine, browser.Errors));
    }

    private static List<string> DataSetUsers(GenreWorld world, int count) =>
        Enumerable.Range(0, Math.Min(count, world.Dataset.Users.Count)).Select(world.Dataset.Users.GetExternalId).ToList();

    private static double Parse(string text) =>
        double.TryParse(text.Replace(",", "", StringComparison.Ordinal), NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;

    private static async Task<double> NumberAsync(IPage page, string selector) => Parse(await page.InnerTextAsync(selector));

    private static async Task WaitForAsync(IPage page, string selector, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Budget;
        string text;
        while (!condition(text = await page.InnerTextAsync(selector)))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{selector} still reads '{text}' after {Budget}.");
            await Task.Delay(250);
        }
    }

    private static async Task WaitUntilSteadyAsync(IPage page, string selector, TimeSpan steadyFor)
    {
        var deadline = DateTime.UtcNow + Budget;
        var last = await page.InnerTextAsync(selector);
        var since = DateTime.UtcNow;
        while (DateTime.UtcNow - since < steadyFor)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{selector} kept changing for {Budget} (last '{last}').");
            await Task.Delay(250);
            var now = await page.InnerTextAsync(selector);
            if (now != last) (last, since) = (now, DateTime.UtcNow);
        }
    }
}

/// <summary>Debian's chromium (<c>/usr/bin/chromium</c>, installed by .ci/run) under Playwright, with the page's console errors collected.</summary>
public sealed class DashboardBrowser : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>
    /// Playwright's own limit on each launch, navigation and action (its default is 30 s): a starting chromium and a
    /// page on a loaded 2-core CI machine can take longer; the tests' own waits are on conditions, bounded likewise.
    /// </summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private DashboardBrowser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
        page.Console += (_, message) => { if (message.Type == "error") Errors.Enqueue($"{message.Text} ({message.Location})"); };
        page.PageError += (_, error) => Errors.Enqueue(error);
    }

    public IPage Page { get; }
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <param name="headers">Sent with every request of the page (its EventSource included), e.g. an API key.</param>
    public static async Task<DashboardBrowser> LaunchAsync(IReadOnlyDictionary<string, string>? headers = null)
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install -y chromium (.ci/run does).");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new()
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            Timeout = (float)Patience.TotalMilliseconds,
        });
        var page = await browser.NewPageAsync(new()
        {
            ViewportSize = new() { Width = 1400, Height = 900 },
            ExtraHTTPHeaders = headers ?? new Dictionary<string, string>(),
        });
        page.SetDefaultTimeout((float)Patience.TotalMilliseconds);
        page.SetDefaultNavigationTimeout((float)Patience.TotalMilliseconds);
        return new DashboardBrowser(playwright, browser, page);
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
