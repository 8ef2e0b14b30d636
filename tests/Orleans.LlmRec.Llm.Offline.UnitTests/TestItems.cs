using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

internal static class TestItems
{
    public static ItemInfo Movie(string id, string title, int? year = null, string[]? genres = null, string[]? tags = null, string? description = null) =>
        new(id, title, year, genres ?? []) { Tags = tags ?? [], Description = description };
}
