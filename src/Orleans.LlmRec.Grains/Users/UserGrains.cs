using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// User grain references without <c>GetGrain&lt;IUserGrain&gt;(string)</c>'s per-call resolution of the interface and
/// grain types (it reads the interface's custom attributes by reflection on every call, a visible share of a cached feed's CPU).
/// The two types are resolved once per process: they are derived from type names, the same in every host.
/// </summary>
public static class UserGrains
{
    private static (GrainType Grain, GrainInterfaceType Interface)? _types;

    public static IUserGrain GetUserGrain(this IGrainFactory grains, string userId)
    {
        ArgumentNullException.ThrowIfNull(grains);
        var types = _types ??= Resolve(grains);
        return (IUserGrain)grains.GetGrain(GrainId.Create(types.Grain, userId), types.Interface);
    }

    private static (GrainType, GrainInterfaceType) Resolve(IGrainFactory grains)
    {
        var reference = (GrainReference)(object)grains.GetGrain<IUserGrain>("type-probe");
        return (reference.GrainId.Type, reference.InterfaceType);
    }
}
