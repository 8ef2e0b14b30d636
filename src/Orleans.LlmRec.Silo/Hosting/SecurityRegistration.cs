using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Orleans.LlmRec.Silo.Configuration;
using Orleans.LlmRec.Silo.Security;

namespace Orleans.LlmRec.Silo.Hosting;

/// <summary>
/// Access control, rate limits and cluster TLS (SECURITY.md): API keys and JWT bearer tokens reduced to the same
/// claims (<see cref="LlmRecClaims"/>), one policy per scope (<see cref="ApiScopes"/>), 401/403/429 as ProblemDetails.
/// </summary>
public static partial class SecurityRegistration
{
    /// <summary>The scheme endpoints authenticate with: it forwards to the API-key or the JWT scheme by what the request carries.</summary>
    public const string Scheme = "llmrec";

    public static IHostApplicationBuilder AddLlmRecAccessControl(this IHostApplicationBuilder builder, ServiceSettings settings)
    {
        var security = settings.Security;
        var services = builder.Services;
        services.AddSingleton<ApiKeyStore>();
        if (security.ApiKeyFile is not null) services.AddHostedService<ApiKeyFileWatcher>();
        var authentication = services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "API key, bearer token or dashboard session", o => o.ForwardDefaultSelector = context =>
                ApiKeyAuthenticationHandler.KeyOf(context.Request) is not null ? ApiKeyAuthenticationHandler.SchemeName
                : security.Jwt.IsEnabled && context.Request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
                    ? JwtBearerDefaults.AuthenticationScheme
                : DashboardLogin.Accepts(context.Request) ? DashboardLogin.Scheme
                : ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddCookie(DashboardLogin.Scheme, o => DashboardLogin.ConfigureCookie(o, security.DashboardSession));
        if (security.Jwt.IsEnabled) authentication.AddJwtBearer(o => ConfigureJwt(o, security.Jwt));
        var dataProtection = services.AddDataProtection().SetApplicationName("Orleans.LlmRec");
        if (security.DataProtectionKeysPath is { Length: > 0 } keysPath) dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        services.AddAuthorization(o => AccessPolicies.Add(o, security));
        services.AddSingleton<IAuthorizationHandler, ScopeHandler>();
        services.AddSingleton<IAuthorizationHandler, BoundUserHandler>();
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, AccessProblems>();
        if (!security.IsConfigured) services.Configure<RouteOptions>(AccessControlOff.AllowEndpointsWithoutMiddlewares);

        var limitsOn = settings.RateLimits.IsOn(security);
        services.AddSingleton(new EventPermits(settings.RateLimits, limitsOn));
        if (limitsOn) services.AddRateLimiter(o => RequestRateLimits.Configure(o, settings.RateLimits));

        if (security.ClusterTls.IsEnabled)
        {
            var certificate = ClusterTls.Load(security.ClusterTls);
            var trustChain = security.ClusterTls.TrustChain;
            // UseOrleans/UseOrleansClient add to the builder OrleansRegistration made; they do not start another.
            if (settings.Silo.Role == HostRole.ApiTier) builder.UseOrleansClient(c => c.UseTls(certificate, o => ClusterTls.Configure(o, certificate, trustChain)));
            else builder.UseOrleans(s => s.UseTls(certificate, o => ClusterTls.Configure(o, certificate, trustChain)));
        }
        return builder;
    }

    /// <summary>Authentication, authorization and (when on) the request rate limiter, after routing so policies see the route.</summary>
    /// <summary>True when <see cref="UseLlmRecAccessControl"/> adds anything: access control or rate limits are on.</summary>
    public static bool GuardsRequests(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        return security.IsConfigured || app.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value.IsOn(security);
    }

    public static WebApplication UseLlmRecAccessControl(this WebApplication app)
    {
        var security = app.Services.GetRequiredService<IOptions<SecurityOptions>>().Value;
        if (security.IsConfigured)
        {
            app.UseAuthentication();
            app.UseAuthorization();
        }
        else
        {
            AccessControlOff.KeepMiddlewaresOut(app);
        }
        var limits = app.Services.GetRequiredService<IOptions<RateLimitOptions>>().Value;
        if (limits.IsOn(security)) app.UseRateLimiter();
        app.Lifetime.ApplicationStarted.Register(() => Announce(app, security, limits.IsOn(security)));
        return app;
    }

    private static void ConfigureJwt(JwtBearerOptions options, JwtSettings jwt)
    {
        // Claims keep their JWT names (sub, scope, scp), which JwtClaims reads.
        options.MapInboundClaims = false;
        options.Audience = jwt.Audience;
        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            options.Authority = jwt.Authority;
            options.RequireHttpsMetadata = jwt.RequireHttpsMetadata;
        }
        options.TokenValidationParameters = new TokenValidationParameters
        {
            ValidateAudience = true,
            ValidAudience = jwt.Audience,
            ValidateIssuer = true,
            ValidIssuer = string.IsNullOrWhiteSpace(jwt.Issuer) ? null : jwt.Issuer,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            ClockSkew = jwt.ClockSkew,
            IssuerSigningKey = jwt.SigningKeyBytes() is { } key ? new SymmetricSecurityKey(key) : null,
        };
        options.Events = new JwtBearerEvents
        {
            OnTokenValidated = context =>
            {
                context.Principal = JwtClaims.Normalise(context.Principal!, jwt);
                return Task.CompletedTask;
            },
            // Our result handler writes the 401 (with a body); the handler's own challenge would only add a header.
            OnChallenge = context =>
            {
                context.HandleResponse();
                return Task.CompletedTask;
            },
        };
    }

    private static void Announce(WebApplication app, SecurityOptions security, bool limitsOn)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.LlmRec.Security");
        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var listening = string.Join(", ", addresses);
        if (security.IsConfigured)
        {
            LogProtected(logger, listening, security.Keys.Count, security.Jwt.IsEnabled, limitsOn);
            return;
        }
        var exposed = addresses.Where(a => !BindAddresses.IsLoopback(a)).ToList();
        if (exposed.Count > 0 && !security.AllowAnonymous)
        {
            // The configuration check refuses this before start; an address set in code would still get here.
            LogRefused(logger, string.Join(", ", exposed));
            app.Lifetime.StopApplication();
            return;
        }
        if (exposed.Count > 0) LogAnonymousExposed(logger, listening);
        else LogOpenLocal(logger, listening);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Access control on ({Listening}): {Keys} API key(s), JWT {Jwt}, rate limits {RateLimits}.")]
    private static partial void LogProtected(ILogger logger, string listening, int keys, bool jwt, bool rateLimits);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Access control is off and the host listens on loopback only ({Listening}): anything on this machine may read and write every user's data. SECURITY.md says how to turn it on.")]
    private static partial void LogOpenLocal(ILogger logger, string listening);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Access control is off (Security:AllowAnonymous=true) on {Listening}: anyone who reaches it may read and write every user's data.")]
    private static partial void LogAnonymousExposed(ILogger logger, string listening);

    [LoggerMessage(Level = LogLevel.Critical, Message = "Stopping: listening on {Exposed} without access control. Configure Security:ApiKeys, Security:ApiKeyFile or Security:Jwt, or set Security:AllowAnonymous=true (SECURITY.md).")]
    private static partial void LogRefused(ILogger logger, string exposed);
}
