using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// The ratings of a training matrix cut into a P × P grid of cells (user block × item block), for DSGD-style
/// stratified SGD (Gemulla et al., 2011). The P cells (b, (b + s) mod P) of a stratum s share no user and no
/// item, so they can be trained in parallel without locks and without the result depending on thread timing:
/// each parameter row is touched by exactly one cell per stratum, in an order fixed by the seed.
/// </summary>
internal sealed class StratifiedRatingBlocks
{
    private StratifiedRatingBlocks(int blockCount, int[] userBlock, int[] itemBlock, int[] users, int[] items, float[] ratings, int[] cellOffsets)
    {
        BlockCount = blockCount;
        UserBlock = userBlock;
        ItemBlock = itemBlock;
        Users = users;
        Items = items;
        Ratings = ratings;
        CellOffsets = cellOffsets;
    }

    public int BlockCount { get; }

    /// <summary>Block of each user (0..P-1).</summary>
    public int[] UserBlock { get; }

    /// <summary>Block of each item (0..P-1).</summary>
    public int[] ItemBlock { get; }

    /// <summary>Rating triples grouped by cell; cell c holds positions CellOffsets[c]..CellOffsets[c+1].</summary>
    public int[] Users { get; }
    public int[] Items { get; }
    public float[] Ratings { get; }
    public int[] CellOffsets { get; }

    public int Count => Users.Length;

    public static StratifiedRatingBlocks Build(InteractionMatrix matrix, int blockCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockCount, 1);
        var userBlock = AssignBalanced(matrix.UserCount, matrix.UserDegree, blockCount);
        var itemBlock = AssignBalanced(matrix.ItemCount, matrix.ItemDegree, blockCount);

        var cellCount = blockCount * blockCount;
        var cellOffsets = new int[cellCount + 1];
        for (var u = 0; u < matrix.UserCount; u++)
        {
            foreach (var i in matrix.ItemsOf(u))
            {
                cellOffsets[CellOf(userBlock[u], itemBlock[i], blockCount) + 1]++;
            }
        }
        for (var c = 0; c < cellCount; c++) cellOffsets[c + 1] += cellOffsets[c];

        var nnz = matrix.NonZeroCount;
        var users = new int[nnz];
        var items = new int[nnz];
        var ratings = new float[nnz];
        var cursor = (int[])cellOffsets.Clone();
        for (var u = 0; u < matrix.UserCount; u++)
        {
            var rowItems = matrix.ItemsOf(u);
            var rowRatings = matrix.RatingsOf(u);
            for (var k = 0; k < rowItems.Length; k++)
            {
                var slot = cursor[CellOf(userBlock[u], itemBlock[rowItems[k]], blockCount)]++;
                users[slot] = u;
                items[slot] = rowItems[k];
                ratings[slot] = rowRatings[k];
            }
        }
        return new StratifiedRatingBlocks(blockCount, userBlock, itemBlock, users, items, ratings, cellOffsets);
    }

    public static int CellOf(int userBlock, int itemBlock, int blockCount) => userBlock * blockCount + itemBlock;

    /// <summary>Processes one cell's ratings (already shuffled); returns that cell's sum of squared errors.</summary>
    public delegate double CellTrainer(int worker, int start, int end);

    /// <summary>
    /// One epoch: the strata in a seeded order, the P cells of each stratum in parallel, each cell shuffled with
    /// its own derived seed. Returns the summed squared error, added in cell order so it is reproducible too.
    /// </summary>
    public double RunEpoch(int seed, int epoch, ParallelOptions parallelOptions, CellTrainer trainCell)
    {
        var p = BlockCount;
        var strata = new int[p];
        for (var s = 0; s < p; s++) strata[s] = s;
        new Random(SeedMixer.Derive(seed, epoch, -1)).Shuffle(strata);

        var squaredErrors = new double[p];
        var total = 0.0;
        foreach (var stratum in strata)
        {
            parallelOptions.CancellationToken.ThrowIfCancellationRequested();
            Parallel.For(0, p, parallelOptions, block =>
            {
                var cell = CellOf(block, (block + stratum) % p, p);
                var start = CellOffsets[cell];
                var end = CellOffsets[cell + 1];
                ShuffleRange(start, end, new Random(SeedMixer.Derive(seed, epoch, cell)));
                squaredErrors[block] = trainCell(block, start, end);
            });
            for (var block = 0; block < p; block++) total += squaredErrors[block];
        }
        return total;
    }

    // Each epoch reshuffles the previous epoch's order; that is still a fixed function of the seed.
    private void ShuffleRange(int start, int end, Random random)
    {
        for (var k = end - 1; k > start; k--)
        {
            var swap = random.Next(start, k + 1);
            (Users[k], Users[swap]) = (Users[swap], Users[k]);
            (Items[k], Items[swap]) = (Items[swap], Items[k]);
            (Ratings[k], Ratings[swap]) = (Ratings[swap], Ratings[k]);
        }
    }

    // Heaviest rows first, dealt to blocks in a snake (0..P-1, P-1..0) so each block gets a similar share of ratings.
    private static int[] AssignBalanced(int count, Func<int, int> degree, int blockCount)
    {
        var order = new int[count];
        var degrees = new int[count];
        for (var k = 0; k < count; k++)
        {
            order[k] = k;
            degrees[k] = degree(k);
        }
        Array.Sort(order, (a, b) => degrees[a] != degrees[b] ? degrees[b].CompareTo(degrees[a]) : a.CompareTo(b));
        var block = new int[count];
        for (var rank = 0; rank < count; rank++)
        {
            var round = rank / blockCount;
            var offset = rank % blockCount;
            block[order[rank]] = round % 2 == 0 ? offset : blockCount - 1 - offset;
        }
        return block;
    }
}
