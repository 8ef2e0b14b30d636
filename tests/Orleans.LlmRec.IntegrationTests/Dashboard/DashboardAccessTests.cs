using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Playwright;
using Orleans.LlmRec.IntegrationTests.Security;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// With access control on, every dashboard route (the page, its event stream, the inspector, Orleans' dashboard) is
/// refused without the admin credential (401 without a key, 403 with a key of another scope), and served with it: in
/// a real headless Chromium too, where an operator logs in with the admin key (a session cookie the EventSource sends).
/// </summary>
[Collection(SecuredServiceCollection.Name)]
public sealed class DashboardAccessTests(SecuredService service)
{
    /// <summary>How long the browser test waits for any one condition: generous, for a loaded 2-core CI machine.</summary>
    private static readonly TimeSpan Patience = DashboardBrowser.Patience;

    private static readonly string[] Routes = ["/dashboard", "/dashboard/stream", "/dashboard/session", "/dashboard/dashboard.js", "/dashboard/api/users/u1", "/dashboard/orleans/"];

    [Fact]
    public async Task Every_dashboard_route_is_refused_without_the_admin_scope()
    {
        foreach (var route in Routes)
        {
            using var anonymous = await service.SendAsync(HttpMethod.Get, route);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{route} without a key: {anonymous.StatusCode}");
            using var reader = await service.SendAsync(HttpMethod.Get, route, service.Keys["reader"]);
            Assert.True(reader.StatusCode == HttpStatusCode.Forbidden, $"{route} with a feeds:read key: {reader.StatusCode}");
        }
        using var page = await service.SendAsync(HttpMethod.Get, "/dashboard", service.Keys["admin"]);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task In_a_browser_an_operator_logs_in_with_the_admin_key_and_the_charts_go_live()
    {
        var url = new Uri(service.Silo.Client.BaseAddress!, "/dashboard").ToString();
        var streamUrl = new Uri(service.Silo.Client.BaseAddress!, "/dashboard/stream").ToString();
        await using var browser = await DashboardBrowser.LaunchAsync();
        var page = browser.Page;
        var urls = new ConcurrentQueue<string>();
        page.Request += (_, request) => urls.Enqueue(request.Url);

        // Without a login: the page sends the browser to the login page (served without a credential), the stream is refused.
        var first = await page.GotoAsync(url);
        Assert.Equal((int)HttpStatusCode.OK, first!.Status);
        Assert.EndsWith("/dashboard/login", page.Url, StringComparison.Ordinal);
        Assert.Equal((int)HttpStatusCode.Unauthorized, (await page.APIRequest.GetAsync(streamUrl)).Status);

        // A wrong key, and a key without the admin scope, are refused on the login page itself.
        await LogInAsync(page, "llmrec_not-a-key");
        await WaitForTextAsync(page, "#login-error", text => text.StartsWith("401", StringComparison.Ordinal));
        await LogInAsync(page, service.Keys["reader"]);
        await WaitForTextAsync(page, "#login-error", text => text.StartsWith("403", StringComparison.Ordinal));
        Assert.Equal((int)HttpStatusCode.Unauthorized, (await page.APIRequest.GetAsync(streamUrl)).Status);

        // The admin key logs in: the dashboard loads, its stream goes live, and the charts fill as feeds are served.
        await LogInAsync(page, service.Keys["admin"]);
        await WaitForUrlAsync(browser, urls, u => u == url, "the dashboard after logging in with the admin key");
        await WaitForTextAsync(page, "#conn-status", text => text == "live");
        await WaitForTextAsync(page, "#silo-count", text => text == "1");
        var deadline = DateTime.UtcNow + Patience;
        for (var i = 0; await page.InnerTextAsync("#feed-rate") is "0" or "–"; i++)
        {
            Assert.True(DateTime.UtcNow < deadline, "the feed rate on the page never moved: " + await DescribeAsync(browser, urls));
            using var feed = await service.SendAsync(HttpMethod.Get, $"/v1/users/login-user-{i % 10}/feed", service.Keys["reader"]);
            await Task.Delay(100);
        }
        Assert.NotEmpty(await page.Locator("figure[data-chart=feeds] polyline").AllAsync());

        var cookie = Assert.Single(await page.Context.CookiesAsync(), c => c.Name == DashboardLogin.CookieName);
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/dashboard", cookie.Path);
        Assert.True(cookie.Expires is -1, "a session cookie, not a persistent one");

        // The cookie is a dashboard credential only: the API and /metrics refuse it, and it cannot log in again.
        foreach (var path in new[] { "/v1/cluster", "/metrics", "/v1/users/login-user-1/feed" })
        {
            using var withCookie = new HttpRequestMessage(HttpMethod.Get, path);
            withCookie.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
            using var refused = await Cookieless.SendAsync(withCookie);
            Assert.True(refused.StatusCode == HttpStatusCode.Unauthorized, $"{path} with the dashboard cookie: {refused.StatusCode}");
        }
        using (var relogin = new HttpRequestMessage(HttpMethod.Post, "/dashboard/login"))
        {
            relogin.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
            using var refused = await Cookieless.SendAsync(relogin);
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using (var inspector = new HttpRequestMessage(HttpMethod.Get, "/dashboard/api/users/login-inspected"))
        {
            inspector.Headers.Add("Cookie", $"{cookie.Name}={cookie.Value}");
            using var served = await Cookieless.SendAsync(inspector);
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        // Logging out ends the session: the stream is refused again.
        await page.ClickAsync("#logout");
        await WaitForUrlAsync(browser, urls, u => u.EndsWith("/dashboard/login", StringComparison.Ordinal), "the login page after logging out");
        Assert.Equal((int)HttpStatusCode.Unauthorized, (await page.APIRequest.GetAsync(streamUrl)).Status);

        Assert.DoesNotContain(urls, u => u.Contains(service.Keys["admin"], StringComparison.Ordinal) || u.Contains(service.Keys["reader"], StringComparison.Ordinal));
        Assert.True(browser.Errors.All(e => e.Contains("401", StringComparison.Ordinal) || e.Contains("403", StringComparison.Ordinal)),
            "console errors: " + string.Join(Environment.NewLine, browser.Errors));
    }

    [Fact]
    public async Task The_login_page_is_served_without_a_credential_and_a_login_answers_a_strict_dashboard_only_cookie()
    {
        using var loginPage = await SendAsync(HttpMethod.Get, "/dashboard/login");
        Assert.Equal(HttpStatusCode.OK, loginPage.StatusCode);
        Assert.Equal("text/html", loginPage.Content.Headers.ContentType?.MediaType);
        using var script = await SendAsync(HttpMethod.Get, "/dashboard/login.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);

        using var anonymous = await SendAsync(HttpMethod.Post, "/dashboard/login");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.False(anonymous.Headers.Contains("Set-Cookie"));
        using var reader = await SendAsync(HttpMethod.Post, "/dashboard/login", service.Keys["reader"]);
        Assert.Equal(HttpStatusCode.Forbidden, reader.StatusCode);

        foreach (var (key, bearer) in new[] { (service.Keys["admin"], (string?)null), (null, SecuredService.Token("admin", "ops", expiresIn: TimeSpan.FromHours(1))) })
        {
            using var login = await SendAsync(HttpMethod.Post, "/dashboard/login", key, bearer);
            Assert.Equal(HttpStatusCode.NoContent, login.StatusCode);
            var setCookie = Assert.Single(login.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith(DashboardLogin.CookieName + "=", setCookie, StringComparison.Ordinal);
            Assert.Contains("path=/dashboard", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("expires=", setCookie, StringComparison.OrdinalIgnoreCase);
            var cookie = setCookie[..setCookie.IndexOf(';')];
            using var session = new HttpRequestMessage(HttpMethod.Get, "/dashboard/session");
            session.Headers.Add("Cookie", cookie);
            using var answer = await Cookieless.SendAsync(session);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            var body = await answer.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            var expires = body.GetProperty("expiresAt").GetDateTimeOffset();
            Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(25), DateTimeOffset.UtcNow.AddMinutes(31));
        }
    }

    /// <summary>A client that keeps no cookies: a login here must not log in the fixture's shared client.</summary>
    private HttpClient Cookieless => _cookieless ??= new HttpClient(new HttpClientHandler { UseCookies = false }) { BaseAddress = service.Silo.Client.BaseAddress };

    private HttpClient? _cookieless;

    private Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? key = null, string? bearer = null)
    {
        var request = new HttpRequestMessage(method, path);
        if (key is not null) request.Headers.Add(ApiKeyAuthenticationHandler.HeaderName, key);
        if (bearer is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        return Cookieless.SendAsync(request);
    }

    private static async Task LogInAsync(IPage page, string credential)
    {
        await page.FillAsync("#credential", credential);
        await page.ClickAsync("#login-form button");
    }

    private static async Task WaitForTextAsync(IPage page, string selector, Func<string, bool> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        string text;
        while (!condition(text = await page.InnerTextAsync(selector)))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{selector} still reads '{text}' at {page.Url}");
            await Task.Delay(100);
        }
    }

    /// <summary>
    /// Polls the page's address: Playwright's <c>WaitForURLAsync</c> looks at the address, then waits for the next
    /// navigation event, so a navigation that lands between the two (the login's <c>location.replace</c> right after
    /// its fetch, on a loaded machine) is missed and the wait times out on a page already at the address.
    /// </summary>
    private static async Task WaitForUrlAsync(DashboardBrowser browser, ConcurrentQueue<string> requested, Func<string, bool> arrived, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!arrived(browser.Page.Url))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not at {what} after {Patience.TotalSeconds} s: {await DescribeAsync(browser, requested)}");
            await Task.Delay(100);
        }
    }

    /// <summary>Where the page is and what it shows, its console errors and its last requests: the diagnosis of a failed wait.</summary>
    private static async Task<string> DescribeAsync(DashboardBrowser browser, ConcurrentQueue<string> requested)
    {
        string text;
        try
        {
            text = await browser.Page.InnerTextAsync("body", new() { Timeout = 5_000 });
        }
        catch (PlaywrightException failure)
        {
            text = "(no body: " + failure.Message + ")";
        }
        if (text.Length > 400) text = text[..400] + "…";
        return $"at {browser.Page.Url}; page text '{text}'; console errors [{string.Join(" | ", browser.Errors)}]; "
            + $"last requests [{string.Join(", ", requested.TakeLast(10))}]";
    }
}
