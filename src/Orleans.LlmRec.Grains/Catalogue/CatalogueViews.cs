using Orleans.LlmRec.Abstractions;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>Items as <c>GET /v1/items/{itemId}</c> shows them.</summary>
public static class CatalogueViews
{
    /// <summary>The item, or null when the catalogue never held it.</summary>
    public static ItemView? Describe(LiveCatalogue live, string itemId)
    {
        var catalogue = live.Catalogue;
        if (!catalogue.TryGetIndex(itemId, out var index)) return null;
        var state = catalogue.Additions.StateOf(index);
        var info = catalogue.InfoOf(index);
        var trained = index < catalogue.Count;
        return new ItemView
        {
            ItemId = itemId,
            Title = info?.Title,
            Text = state?.Publication is { } p ? p.Text : info?.Description,
            Tags = state?.Publication?.Tags ?? [.. (info?.Genres ?? []).Concat(info?.Tags ?? [])],
            PublishedAt = state?.Publication is not null ? state.PublishedAt : null,
            Available = state?.Visible ?? true,
            Retired = state?.Retired ?? false,
            Trained = trained,
            VectorSource = trained ? null : live.VectorSourceOf(index),
            CatalogueVersion = live.Version,
        };
    }
}
