using System.Globalization;
using System.Net;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Apis;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.IntegrationTests.Pipeline;

/// <summary>
/// The pieces the cached read was made cheaper with, each on a bare host (real Kestrel, no silo): with access control
/// off no authentication or authorization runs at all, and bodiless errors still get their ProblemDetails.
/// </summary>
public sealed class LeanPipelineTests
{
    [Fact]
    public async Task With_access_control_off_no_authentication_or_authorization_runs()
    {
        var calls = new CountingScheme.Calls();
        await using var app = await StartAsync(services => AddDenyingAccessControl(services, calls), app =>
        {
            AccessControlOff.KeepMiddlewaresOut(app);
            app.MapGet("/guarded", () => "ok").RequireAuthorization("deny");
        }, routing: AccessControlOff.AllowEndpointsWithoutMiddlewares);

        using var response = await ClientOf(app).GetAsync("/guarded");

        // A policy that refuses everyone did not refuse: the authorization middleware never ran; nor did the scheme.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, calls.Count);
    }

    /// <summary>The control: the same host without <see cref="AccessControlOff"/> gets both middlewares from the framework.</summary>
    [Fact]
    public async Task Without_keeping_them_out_the_framework_adds_both_middlewares_itself()
    {
        var calls = new CountingScheme.Calls();
        await using var app = await StartAsync(services => AddDenyingAccessControl(services, calls), app =>
            app.MapGet("/guarded", () => "ok").RequireAuthorization("deny"));

        using var response = await ClientOf(app).GetAsync("/guarded");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.True(calls.Count > 0);
    }

    /// <summary>Both ways the rest of the pipeline can end: at once, or after an await.</summary>
    [Theory]
    [InlineData("/empty/404", 404)]
    [InlineData("/empty-later/503", 503)]
    public async Task A_bodiless_error_gets_a_problem(string path, int status)
    {
        await using var app = await StartErrorsAsync();

        using var response = await ClientOf(app).GetAsync(path);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"status\":{status}", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_that_accepts_no_json_gets_the_status_as_text()
    {
        await using var app = await StartErrorsAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/empty/404");
        request.Headers.Accept.ParseAdd("text/html");

        using var response = await ClientOf(app).SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Status Code: 404; Not Found", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("/with-body", HttpStatusCode.BadRequest, "mine")]
    [InlineData("/empty/304", HttpStatusCode.NotModified, "")]
    [InlineData("/empty/200", HttpStatusCode.OK, "")]
    public async Task Answers_with_a_body_or_without_an_error_are_left_as_they_are(string path, HttpStatusCode status, string body)
    {
        await using var app = await StartErrorsAsync();

        using var response = await ClientOf(app).GetAsync(path);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
    }

    private static Task<WebApplication> StartErrorsAsync() => StartAsync(services => services.AddProblemDetails(), app =>
    {
        app.UseEmptyErrorProblems();
        app.MapGet("/empty/{status:int}", (int status, HttpResponse response) =>
        {
            response.StatusCode = status;
        });
        app.MapGet("/empty-later/{status:int}", async (int status, HttpResponse response) =>
        {
            await Task.Yield();
            response.StatusCode = status;
        });
        app.MapGet("/with-body", () => Results.Text("mine", statusCode: StatusCodes.Status400BadRequest));
    });

    private static void AddDenyingAccessControl(IServiceCollection services, CountingScheme.Calls calls)
    {
        services.AddSingleton(calls);
        services.AddAuthentication(CountingScheme.Name).AddScheme<AuthenticationSchemeOptions, CountingScheme>(CountingScheme.Name, null);
        services.AddAuthorization(o => o.AddPolicy("deny", p => p.RequireAssertion(_ => false)));
    }

    private static async Task<WebApplication> StartAsync(Action<IServiceCollection> services, Action<WebApplication> map, Action<RouteOptions>? routing = null)
    {
        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        services(builder.Services);
        if (routing is not null) builder.Services.Configure(routing);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static HttpClient ClientOf(WebApplication app) => new() { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Authenticates everyone, and counts how often it was asked.</summary>
    private sealed class CountingScheme(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, CountingScheme.Calls calls)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string Name = "counting";

        public sealed class Calls
        {
            private int _count;

            public int Count => Volatile.Read(ref _count);

            public void Add() => Interlocked.Increment(ref _count);
        }

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            calls.Add();
            var principal = new System.Security.Claims.ClaimsPrincipal(new System.Security.Claims.ClaimsIdentity(Name));
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(principal, Name)));
        }
    }
}
