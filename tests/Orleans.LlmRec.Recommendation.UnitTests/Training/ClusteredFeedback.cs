using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Evaluation;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

/// <summary>
/// Synthetic implicit feedback with a structure popularity cannot see: users fall in clusters of unequal size, and
/// each cluster likes only its own block of items. Each user has a random subset of their block; two of those are
/// held out as test items. Popularity ranks the big cluster's block first for everyone, so it fails the small
/// clusters; a personalised model should find each user's block.
/// </summary>
internal static class ClusteredFeedback
{
    public const int ItemsPerBlock = 12;
    public const int LikedPerUser = 8;
    public const int HeldOutPerUser = 2;
    private static readonly int[] UsersPerCluster = [24, 16, 12, 8];

    public static (RatingsDataset Train, Interaction[] Test) Generate(int seed = 7)
    {
        var rng = new Random(seed);
        var clusters = UsersPerCluster.Length;
        var userCount = UsersPerCluster.Sum();
        var users = new IdMap(Enumerable.Range(0, userCount).Select(u => $"u{u}"));
        var items = new IdMap(Enumerable.Range(0, clusters * ItemsPerBlock).Select(i => $"i{i}"));
        var train = new List<Interaction>();
        var test = new List<Interaction>();
        var user = 0;
        for (var c = 0; c < clusters; c++)
        {
            for (var k = 0; k < UsersPerCluster[c]; k++, user++)
            {
                var block = Enumerable.Range(c * ItemsPerBlock, ItemsPerBlock).OrderBy(_ => rng.Next()).Take(LikedPerUser).ToArray();
                for (var j = 0; j < block.Length; j++)
                {
                    (j < HeldOutPerUser ? test : train).Add(new Interaction(user, block[j], 1f, j));
                }
            }
        }
        var all = new RatingsDataset("clustered", users, items, [.. train]);
        return (all, [.. test]);
    }

    public static double NdcgAt10(EmbeddingModel model, RatingsDataset train, Interaction[] test) =>
        RankingEvaluator.Evaluate(model, train.ToMatrix(), test).ByK[10].Ndcg;

    /// <summary>A checksum of every float a model holds, to compare two training runs bit for bit.</summary>
    public static string WeightsChecksum(EmbeddingModel model)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        void Add(float[] values) => hash.AppendData(System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()));
        Add(model.UserVectors);
        Add(model.ItemVectors);
        Add(model.UserBias);
        Add(model.ItemBias);
        foreach (var (_, extra) in model.Extras.OrderBy(p => p.Key, StringComparer.Ordinal)) Add(extra);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
