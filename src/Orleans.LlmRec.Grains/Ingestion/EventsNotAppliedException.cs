namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// A batch of events was not applied for every user: each user's events go to that user's grain in one call and one
/// state write, so they are applied together or not at all, and this says for which users they were
/// (<see cref="AppliedUsers"/>) and for which the outcome is not known to be a success (<see cref="UnconfirmedUsers"/>:
/// not applied, or applied without an answer, e.g. a storage write whose reply was lost). The cause is the inner
/// exception. Resending the batch is safe: events already applied are recognised by id.
/// </summary>
[GenerateSerializer, Alias("llmrec.EventsNotAppliedException")]
public sealed class EventsNotAppliedException : Exception
{
    public EventsNotAppliedException()
    {
    }

    public EventsNotAppliedException(string message) : base(message)
    {
    }

    public EventsNotAppliedException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public EventsNotAppliedException(IReadOnlyList<string> appliedUsers, IReadOnlyList<string> unconfirmedUsers, Exception cause)
        : base($"The events of {unconfirmedUsers.Count} of {appliedUsers.Count + unconfirmedUsers.Count} users were not applied, or not confirmed: {cause.Message}", cause)
    {
        AppliedUsers = appliedUsers;
        UnconfirmedUsers = unconfirmedUsers;
    }

    [Id(0)] public IReadOnlyList<string> AppliedUsers { get; private set; } = [];
    [Id(1)] public IReadOnlyList<string> UnconfirmedUsers { get; private set; } = [];
}
