using Microsoft.Extensions.Options;
using Orleans.LlmRec.Silo.Configuration;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// Bounds how long an HTTP request waits on the cluster (<see cref="AvailabilityOptions.RequestBudget"/>): the
/// middleware sets a deadline for the request, and <see cref="RequestBudgetCallFilter"/> cuts every grain call the
/// request makes at it with a <see cref="TimeoutException"/>, which the API answers with 503. The admin endpoints
/// (a model reload takes minutes) have no budget. The deadline lives in an async-local: it flows into the request's
/// own awaits, never into grain code (Orleans runs grain turns on the grain's scheduler, not the caller's context).
/// </summary>
public static class RequestBudget
{
    private static readonly AsyncLocal<Deadline?> Current = new();

    /// <summary>The time left to the current request's deadline; null outside a budgeted request.</summary>
    public static TimeSpan? Remaining(TimeProvider time) => Current.Value?.Remaining(time);

    /// <summary>The current request's deadline; null outside a budgeted request.</summary>
    internal static Deadline? CurrentDeadline => Current.Value;

    public static IApplicationBuilder UseLlmRecRequestBudget(this IApplicationBuilder app)
    {
        var budget = app.ApplicationServices.GetRequiredService<IOptions<AvailabilityOptions>>().Value.RequestBudget;
        var time = app.ApplicationServices.GetRequiredService<TimeProvider>();
        var ticks = (long)(budget.TotalSeconds * time.TimestampFrequency);
        return app.Use((context, next) => Applies(context) ? WithDeadlineAsync(context, next, time.GetTimestamp() + ticks) : next(context));
    }

    /// <summary>
    /// Endpoint metadata: the endpoint sets the deadline itself (<see cref="SetDeadline"/>) just before it asks the
    /// cluster, and only then. Setting an async-local allocates an execution context (~130 B), which a read answered
    /// without any grain call (a cached feed on the silo holding the user) has no use for.
    /// </summary>
    public sealed class SetByEndpoint
    {
        public static SetByEndpoint Instance { get; } = new();

        private SetByEndpoint()
        {
        }
    }

    /// <summary>Starts the current request's budget now; call it from the async method that makes the grain calls, before them.</summary>
    public static void SetDeadline(TimeProvider time, TimeSpan budget) =>
        Current.Value = new Deadline(time.GetTimestamp() + (long)(budget.TotalSeconds * time.TimestampFrequency));

    /// <summary>
    /// Runs the rest of the pipeline with the deadline set. No reset afterwards: an async method's changes to async-locals
    /// end with it (its caller continues in its own execution context), and each write to an async-local allocates a new
    /// execution context, so a reset was a second one per request for nothing.
    /// </summary>
    private static async Task WithDeadlineAsync(HttpContext context, RequestDelegate next, long deadline)
    {
        var current = new Deadline(deadline);
        Current.Value = current;
        try
        {
            await next(context);
        }
        finally
        {
            // Its timer, if a grain call started one, is not needed past the request.
            current.Dispose();
        }
    }

    private static bool Applies(HttpContext context) => Applies(context.Request.Path) && context.GetEndpoint()?.Metadata.GetMetadata<SetByEndpoint>() is null;

    private static bool Applies(PathString path) =>
        path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase) && !path.StartsWithSegments("/v1/admin", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// A request's deadline, and one expiry token that all its grain calls wait on: made by the first call that needs it, so
/// a request that fans out to ~92 user grains (a batch of events) starts one timer, not one per call.
/// </summary>
internal sealed class Deadline(long timestamp) : IDisposable
{
    private CancellationTokenSource? _expiry;

    public TimeSpan Remaining(TimeProvider time) => time.GetElapsedTime(time.GetTimestamp(), timestamp);

    /// <summary>Cancelled at the deadline (<paramref name="remaining"/> from now, as the first caller saw it).</summary>
    public CancellationToken Expiry(TimeSpan remaining, TimeProvider time)
    {
        if (Volatile.Read(ref _expiry) is { } existing) return existing.Token;
        var created = new CancellationTokenSource(remaining, time);
        var expiry = Interlocked.CompareExchange(ref _expiry, created, null);
        if (expiry is null) return created.Token;
        created.Dispose();
        return expiry.Token;
    }

    public void Dispose() => Volatile.Read(ref _expiry)?.Dispose();
}

/// <summary>Cuts a grain call made for an HTTP request at the request's deadline (<see cref="RequestBudget"/>).</summary>
public sealed class RequestBudgetCallFilter(TimeProvider time) : IOutgoingGrainCallFilter
{
    public Task Invoke(IOutgoingGrainCallContext context)
    {
        if (RequestBudget.CurrentDeadline is not { } deadline) return context.Invoke();
        var remaining = deadline.Remaining(time);
        if (remaining <= TimeSpan.Zero) return Task.FromException(Expired());
        return WithinAsync(context.Invoke(), deadline.Expiry(remaining, time));
    }

    private static async Task WithinAsync(Task call, CancellationToken expiry)
    {
        try
        {
            await call.WaitAsync(expiry);
        }
        catch (OperationCanceledException) when (expiry.IsCancellationRequested && !call.IsCompleted)
        {
            // The call goes on; whatever it ends with is nobody's to observe any more.
            _ = call.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            throw Expired();
        }
    }

    private static TimeoutException Expired() => new("The request's time budget (Availability:RequestBudget) ran out before the cluster answered.");
}
