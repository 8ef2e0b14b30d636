namespace Orleans.LlmRec.Scoring.UnitTests;

public sealed class TopKSelectorTests
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 20, 2)]
    [InlineData(63, 7, 3)]
    [InlineData(64, 64, 4)]
    [InlineData(65, 20, 5)]
    [InlineData(1_000, 1, 6)]
    [InlineData(9_742, 20, 7)]
    [InlineData(10_001, 100, 8)]
    public void SelectionIsAFullSortsPrefix(int length, int k, int seed)
    {
        var random = new Random(seed);
        var scores = new float[length];
        for (var i = 0; i < length; i++) scores[i] = (float)(random.NextDouble() * 10 - 5);
        // Excluded items, and ties (coarse values) so the index tie-break is exercised.
        for (var i = 0; i < length; i += 7) scores[i] = float.NegativeInfinity;
        for (var i = 3; i < length; i += 11) scores[i] = MathF.Round(scores[i]);

        var selected = TopKSelector.Select(scores, k, offset: 0.25f);

        var expected = TestModels.ReferenceTopK(scores, k, excluded: i => float.IsNegativeInfinity(scores[i]));
        Assert.Equal(expected, selected.Select(s => s.Item));
        Assert.All(selected, s => Assert.Equal(scores[s.Item] + 0.25f, s.Score));
    }

    [Theory]
    [InlineData(100, 10, 1)]
    [InlineData(9_742, 20, 2)]
    [InlineData(100_000, 20, 3)]
    public void ItemsInTheExclusionBitmapAreSkipped(int length, int k, int seed)
    {
        var random = new Random(seed);
        var scores = new float[length];
        for (var i = 0; i < length; i++) scores[i] = (float)random.NextDouble();
        var excluded = new ulong[(length + 63) / 64];
        // Exclude the 30 best items (the ones a bitmap check must catch) and some random others.
        var best = TestModels.ReferenceTopK(scores, 30);
        var excludedItems = best.Concat(Enumerable.Range(0, 50).Select(_ => random.Next(length))).ToHashSet();
        foreach (var item in excludedItems) excluded[item >> 6] |= 1UL << item;

        var selected = TopKSelector.Select(scores, k, 0f, excluded);

        Assert.Equal(TestModels.ReferenceTopK(scores, k, excludedItems.Contains), selected.Select(s => s.Item));
    }

    [Fact]
    public void AscendingAndConstantRowsKeepTheFullSortOrder()
    {
        // Ascending: every block raises the threshold; constant: every candidate ties with the kept ones.
        var ascending = Enumerable.Range(0, 3_000).Select(i => (float)i).ToArray();
        Assert.Equal(Enumerable.Range(2_980, 20).Reverse(), TopKSelector.Select(ascending, 20).Select(s => s.Item));
        var constant = Enumerable.Repeat(1.5f, 3_000).ToArray();
        Assert.Equal(Enumerable.Range(0, 20), TopKSelector.Select(constant, 20).Select(s => s.Item));
    }

    [Fact]
    public void ExcludedAndNaNScoresAreNeverReturned()
    {
        var scores = Enumerable.Repeat(float.NegativeInfinity, 200).ToArray();
        scores[150] = 1f;
        scores[20] = float.NaN;
        scores[77] = -3f;

        var selected = TopKSelector.Select(scores, 10);

        Assert.Equal([150, 77], selected.Select(s => s.Item));
        Assert.Throws<ArgumentOutOfRangeException>(() => TopKSelector.Select(scores, 0));
    }
}
