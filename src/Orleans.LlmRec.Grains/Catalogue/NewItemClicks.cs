using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Serving;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// Moves new items toward their collaborative place as users act on them: each positive event on an item published
/// after training adds the acting user's folded vector to the item's clickers (<see cref="NewItemVectorTable.RecordPositive"/>).
/// Per silo and per model version (the next training takes the item in properly); users the model cannot place yet
/// (no trained item in their history) move nothing.
/// </summary>
public static class NewItemClicks
{
    public static void Record(IReadOnlyList<UserEvent> events, UserHistory history, SiloModel serving, LiveCatalogue live)
    {
        var catalogue = serving.Catalogue;
        if (catalogue.Additions.NewCount == 0) return;
        var model = serving.Current;
        foreach (var e in events)
        {
            if (!IsPositive(e) || !catalogue.TryGetIndex(e.ItemId, out var index) || index < catalogue.Count) continue;
            if (history.EmbeddingFor(model, catalogue) is not { UsedInteractions: > 0 } user) return;
            live.RecordPositive(index, user.Vector, model);
        }
    }

    private static bool IsPositive(UserEvent e) => e.Type switch
    {
        UserEventType.Click or UserEventType.Like => true,
        UserEventType.Rating => e.Value >= InteractionSignals.NegativeRatingBelow,
        _ => false,
    };
}
