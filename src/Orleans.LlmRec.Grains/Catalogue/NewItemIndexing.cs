using System.Numerics;
using Orleans.LlmRec.Grains.Serving;

namespace Orleans.LlmRec.Grains.Catalogue;

/// <summary>
/// Keeps a model's approximate item index (<see cref="ModelSnapshot.ItemIndex"/>) in step with the live catalogue, in
/// place: a published item goes in with its placed vector and bias (its <see cref="NewItemVectorTable"/> row), a
/// vector moved by clicks replaces it (throttled: <see cref="ShouldRefresh"/>), a retired or unavailable item (trained
/// or new) goes out. Only while the host uses the index (it started building it, above
/// <c>Feed:ApproximateAboveItems</c>, and the build did not fail): below that, feeds score new items exactly and
/// nothing is queued. Updates are serialised, so a click cannot put back an item a retire just removed.
/// </summary>
internal sealed class NewItemIndexing(CatalogueAdditions additions)
{
    private readonly Lock _gate = new();

    /// <summary>Built or being built (updates made while it builds are applied when it is ready).</summary>
    public static bool InUse(ModelItemIndex index) => index.Ready is not null || !index.Built.IsCompleted;

    /// <summary>
    /// Whether a click that brought a new item to <paramref name="clicks"/> clicks rewrites its vector in the index: at
    /// 1, 2, 4, 8 … clicks (the vector moves most with the first clicks, <see cref="NewItemVectorTable.PriorClicks"/>)
    /// and every 64th after, so a hot item costs the index a few inserts, not one per click.
    /// </summary>
    public static bool ShouldRefresh(int clicks) => clicks > 0 && (BitOperations.IsPow2(clicks) || clicks % 64 == 0);

    /// <summary>After <paramref name="table"/> was (re)built for <paramref name="model"/>: every visible new item in, every hidden item out.</summary>
    public void Sync(ModelSnapshot model, NewItemVectorTable table)
    {
        var index = model.ItemIndex;
        if (!InUse(index) || table.ModelVersion != model.Version) return;
        lock (_gate)
        {
            var rows = table.Rows;
            for (var r = 0; r < rows.Count; r++) Put(index, table.TrainedCount + r, rows, r);
            foreach (var hidden in additions.HiddenIndexes)
            {
                if (hidden < table.TrainedCount) index.Remove(hidden);
            }
        }
    }

    /// <summary>After a catalogue entry changed item <paramref name="item"/> (its row, for a new item, already set in <paramref name="table"/>).</summary>
    public void Changed(ModelSnapshot model, NewItemVectorTable? table, int item)
    {
        var index = model.ItemIndex;
        if (!InUse(index)) return;
        lock (_gate)
        {
            if (additions.StateOf(item) is { Visible: false })
            {
                index.Remove(item);
                return;
            }
            if (item < model.ItemCount)
            {
                // A trained item made available again: back with its model vector.
                index.Add(item, model.Model.ItemVector(item), model.Model.ItemBias[item]);
                return;
            }
            if (table is null || table.ModelVersion != model.Version) return;
            var rows = table.Rows;
            var row = item - table.TrainedCount;
            if ((uint)row < (uint)rows.Count) index.Add(item, rows.Vector(row), rows.Biases[row]);
        }
    }

    /// <summary>After a click moved new item <paramref name="item"/>'s vector in <paramref name="table"/>.</summary>
    public void Moved(ModelSnapshot model, NewItemVectorTable table, int item)
    {
        if (!ShouldRefresh(table.ClicksOf(item)) || !InUse(model.ItemIndex) || table.ModelVersion != model.Version) return;
        lock (_gate)
        {
            var rows = table.Rows;
            var row = item - table.TrainedCount;
            // A retired item stays out, whatever clicks arrive late.
            if ((uint)row < (uint)rows.Count && additions.StateOf(item) is { Visible: true }) model.ItemIndex.Add(item, rows.Vector(row), rows.Biases[row]);
        }
    }

    private void Put(ModelItemIndex index, int item, NewItemRows rows, int row)
    {
        if (additions.StateOf(item) is { Visible: true }) index.Add(item, rows.Vector(row), rows.Biases[row]);
        else index.Remove(item);
    }
}
