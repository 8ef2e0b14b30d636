using System.CommandLine;
using Orleans.LlmRec.Recommendation.ColdStart;
using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Text;
using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>The text map of <c>llmrec train</c>: embeds the trained items' text and fits the ridge map to their vectors.</summary>
internal static class TextMapFitting
{
    public static async Task<TextItemMap?> FitAsync(ItemTextOptions text, ParseResult result, EmbeddingModel model, RatingsDataset train, string modelVersion, CancellationToken cancellationToken)
    {
        var rated = new bool[train.ItemCount];
        foreach (var x in train.Interactions) rated[x.Item] = true;
        var items = Enumerable.Range(0, train.ItemCount).Where(i => rated[i] && train.ItemInfo.ContainsKey(i)).ToArray();
        if (items.Length < 2)
        {
            AnsiConsole.MarkupLine("[yellow]No text map:[/] fewer than two trained items have text.");
            return null;
        }
        using var encoder = text.CreateEncoder(result);
        var vectors = await ItemTextOptions.EmbedAsync(encoder, items.Select(i => ItemText.Of(train.ItemInfo[i])).ToArray(), "trained items", cancellationToken);
        var byItem = new Dictionary<int, float[]>(items.Length);
        for (var r = 0; r < items.Length; r++) byItem[items[r]] = vectors[r];
        var map = TextItemMap.Fit(model, modelVersion, items, i => byItem[i], TextEmbeddingGenerators.IdentityOf(encoder));
        AnsiConsole.MarkupLineInterpolated($"Text map: {map.TextDimension} → {map.ModelDimension} + bias, fitted on {map.FittedItems:N0} items (λ = {map.Lambda:G3}, {TextItemMap.FileName})");
        return map;
    }
}
