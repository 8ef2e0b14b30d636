using Spectre.Console;

namespace Orleans.LlmRec.Cli.Commands;

/// <summary>The results table printed by <c>eval</c> and <c>train --holdout</c>.</summary>
internal static class ResultsTable
{
    public static void Print(string dataset, string protocol, IEnumerable<(string Model, IReadOnlyDictionary<string, double> Metrics, double Seconds)> rows, int k)
    {
        var table = new Table().Title(protocol.StartsWith("cv", StringComparison.Ordinal) ? $"{dataset} · protocol {protocol}" : $"{dataset} · protocol {protocol} · K={k}").Border(TableBorder.Rounded);
        string[] keys = [$"precision@{k}", $"recall@{k}", $"ndcg@{k}", $"map@{k}", $"hitrate@{k}", $"coverage@{k}", "rmse", "mae"];
        string[] headers = [$"P@{k}", $"R@{k}", $"NDCG@{k}", $"MAP@{k}", $"HR@{k}", "coverage", "RMSE", "MAE"];
        var materialised = rows.ToList();
        var shown = keys.Select((key, i) => (key, header: headers[i])).Where(c => materialised.Any(r => r.Metrics.ContainsKey(c.key))).ToList();
        table.AddColumn("model");
        foreach (var (_, header) in shown) table.AddColumn(new TableColumn(header).RightAligned());
        table.AddColumn(new TableColumn("train s").RightAligned());
        foreach (var (model, metrics, seconds) in materialised)
        {
            var cells = new List<string> { model };
            cells.AddRange(shown.Select(c => metrics.TryGetValue(c.key, out var v) ? v.ToString("F4") : "—"));
            cells.Add(seconds.ToString("F1"));
            table.AddRow(cells.ToArray());
        }
        AnsiConsole.Write(table);
    }
}
