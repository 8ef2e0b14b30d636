using System.Net;
using Orleans.LlmRec.IntegrationTests.Security;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Dashboard;

/// <summary>
/// With access control on, every dashboard route (the page, its event stream, the inspector, Orleans' dashboard) is
/// refused without the admin credential (401 without a key, 403 with a key of another scope), and served with it: in
/// a real headless Chromium too, where the page's EventSource carries the key and goes live.
/// </summary>
[Collection(SecuredServiceCollection.Name)]
public sealed class DashboardAccessTests(SecuredService service)
{
    private static readonly string[] Routes = ["/dashboard", "/dashboard/stream", "/dashboard/dashboard.js", "/dashboard/api/users/u1", "/dashboard/orleans/"];

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
    public async Task In_a_browser_the_page_is_refused_without_the_key_and_goes_live_with_it()
    {
        var url = new Uri(service.Silo.Client.BaseAddress!, "/dashboard").ToString();
        await using (var anonymous = await DashboardBrowser.LaunchAsync())
        {
            var response = await anonymous.Page.GotoAsync(url);
            Assert.Equal((int)HttpStatusCode.Unauthorized, response!.Status);
            var stream = await anonymous.Page.APIRequest.GetAsync(new Uri(service.Silo.Client.BaseAddress!, "/dashboard/stream").ToString());
            Assert.Equal((int)HttpStatusCode.Unauthorized, stream.Status);
        }

        await using var admin = await DashboardBrowser.LaunchAsync(new Dictionary<string, string> { [ApiKeyAuthenticationHandler.HeaderName] = service.Keys["admin"] });
        var served = await admin.Page.GotoAsync(url);
        Assert.Equal((int)HttpStatusCode.OK, served!.Status);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (await admin.Page.InnerTextAsync("#conn-status") != "live")
        {
            Assert.True(DateTime.UtcNow < deadline, "the dashboard's event stream did not go live with the admin key");
            await Task.Delay(250);
        }
        Assert.True(admin.Errors.IsEmpty, "console errors: " + string.Join(Environment.NewLine, admin.Errors));
    }
}
