using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class StratifiedRatingBlocksTests
{
    [Fact]
    public void Cells_hold_every_rating_once_within_their_blocks()
    {
        var matrix = LowRankRatings.Generate(users: 50, items: 40).ToMatrix();

        var blocks = StratifiedRatingBlocks.Build(matrix, blockCount: 3);

        Assert.Equal(matrix.NonZeroCount, blocks.Count);
        var seen = new HashSet<(int, int)>();
        for (var cell = 0; cell < 9; cell++)
        {
            for (var k = blocks.CellOffsets[cell]; k < blocks.CellOffsets[cell + 1]; k++)
            {
                Assert.Equal(cell, StratifiedRatingBlocks.CellOf(blocks.UserBlock[blocks.Users[k]], blocks.ItemBlock[blocks.Items[k]], 3));
                Assert.True(seen.Add((blocks.Users[k], blocks.Items[k])));
                Assert.True(matrix.Contains(blocks.Users[k], blocks.Items[k]));
            }
        }
        // Snake dealing by degree keeps the blocks' rating counts close.
        var perUserBlock = Enumerable.Range(0, 3).Select(b => Enumerable.Range(0, 50).Where(u => blocks.UserBlock[u] == b).Sum(matrix.UserDegree)).ToArray();
        Assert.True(perUserBlock.Max() - perUserBlock.Min() <= matrix.NonZeroCount / 10);
    }

    [Fact]
    public void An_epoch_visits_each_cell_once_and_concurrent_cells_share_no_rows()
    {
        var matrix = LowRankRatings.Generate(users: 50, items: 40).ToMatrix();
        var blocks = StratifiedRatingBlocks.Build(matrix, blockCount: 4);
        var visits = new int[blocks.Count];

        var total = blocks.RunEpoch(seed: 1, epoch: 1, new ParallelOptions(), (worker, start, end) =>
        {
            var cell = Array.FindLastIndex(blocks.CellOffsets, o => o <= start);
            Assert.Equal(worker, cell / 4);
            for (var k = start; k < end; k++)
            {
                Interlocked.Increment(ref visits[k]);
                Assert.Equal(worker, blocks.UserBlock[blocks.Users[k]]);
            }
            return end - start;
        });

        Assert.All(visits, v => Assert.Equal(1, v));
        Assert.Equal(blocks.Count, total);
    }
}
