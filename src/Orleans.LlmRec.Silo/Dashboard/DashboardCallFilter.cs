using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Silo.Dashboard;

/// <summary>
/// The silo's one incoming grain call filter, for both dashboards: it counts calls per user for <see cref="BusiestUsers"/>
/// while the operators' dashboard watches, and hands a call to Orleans' profiler filter (grain method timings for
/// /dashboard/orleans) only while that profiler is on, i.e. while Orleans' dashboard is being read. Orleans registers its
/// filter for every call, and it is an async method: with no dashboard open every grain call still paid its state
/// machine and a second filter stage (~6 % of the silo's samples under ingestion, with Orleans' invoker). Here a call
/// nobody watches costs two flag reads and goes straight on.
/// </summary>
public sealed class DashboardCallFilter(DashboardWatch watch, BusiestUsers busiest, OrleansProfiling profiling) : IIncomingGrainCallFilter
{
    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Grain is IUserGrain && watch.IsWatched) busiest.Count(context.TargetId);
        return profiling.IsOn() ? profiling.Filter.Invoke(context) : context.Invoke();
    }
}

/// <summary>
/// Orleans' dashboard profiler as <see cref="DashboardCallFilter"/> needs it: its filter, and whether its profiler is on.
/// Both types are internal to Microsoft.Orleans.Dashboard (10.4.2), so they are found by name, once, at start; a
/// version that renames them leaves the filter always asked (correct, as costly as before), and
/// <see cref="Hosting.DashboardRegistration"/>'s test fails.
/// </summary>
public sealed class OrleansProfiling(IIncomingGrainCallFilter filter, Func<bool> isOn)
{
    public const string FilterTypeName = "Orleans.Dashboard.Implementation.GrainProfilerFilter";
    public const string ProfilerTypeName = "Orleans.Dashboard.Metrics.IGrainProfiler";

    public IIncomingGrainCallFilter Filter { get; } = filter;

    /// <summary>Whether Orleans' profiler records calls now (a dashboard read it in the last minute or so, or TraceAlways).</summary>
    public Func<bool> IsOn { get; } = isOn;

    /// <summary>False when the profiler's switch was not found and every call goes through Orleans' filter.</summary>
    public bool SkipsCallsWhenOff { get; private init; }

    /// <summary>Orleans' filter (of type <paramref name="filterType"/>) and its profiler's switch, from the silo's services.</summary>
    public static OrleansProfiling From(IServiceProvider services, Type filterType)
    {
        var filter = (IIncomingGrainCallFilter)services.GetRequiredService(filterType);
        var profilerType = filterType.Assembly.GetType(ProfilerTypeName);
        if (profilerType?.GetProperty("IsEnabled")?.GetGetMethod() is { ReturnType: var returns } getter && returns == typeof(bool)
            && services.GetService(profilerType) is { } profiler)
        {
            return new OrleansProfiling(filter, getter.CreateDelegate<Func<bool>>(profiler)) { SkipsCallsWhenOff = true };
        }
        return new OrleansProfiling(filter, static () => true);
    }
}
