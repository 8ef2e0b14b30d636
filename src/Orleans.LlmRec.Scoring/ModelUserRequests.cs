using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// Scoring requests for a trained model's own users: each user's trained vector and bias, and the items the user
/// has in <c>data</c> (the data set the model was trained on) left out, as <c>llmrec score --user</c> leaves them out.
/// </summary>
public sealed class ModelUserRequests
{
    private readonly EmbeddingModel _model;
    private readonly InteractionMatrix _seen;
    private readonly int _k;

    /// <param name="users">The model's user map (users.txt of the model directory).</param>
    /// <param name="items">The model's item map; interactions with items outside it are ignored.</param>
    public ModelUserRequests(EmbeddingModel model, IdMap users, IdMap items, RatingsDataset data, int k)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(users);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _model = model;
        _k = k;
        Users = users;
        var userOf = Remap(data.Users, users);
        var itemOf = Remap(data.Items, items);
        var seen = new List<Interaction>(data.Interactions.Length);
        foreach (var x in data.Interactions)
        {
            if (userOf[x.User] is var u and >= 0 && itemOf[x.Item] is var i and >= 0) seen.Add(x with { User = u, Item = i });
        }
        _seen = InteractionMatrix.Build(model.UserCount, model.ItemCount, seen);
    }

    public IdMap Users { get; }

    /// <summary>Every user of the model, in index order.</summary>
    public int[] AllUsers() => Enumerable.Range(0, _model.UserCount).ToArray();

    /// <summary>The request for the user at dense index <paramref name="user"/>.</summary>
    public ScoringRequest For(int user)
    {
        var d = _model.Dimension;
        var offset = _seen.UserOffsets[user];
        return new ScoringRequest(new ReadOnlyMemory<float>(_model.UserVectors, user * d, d), _model.UserBias[user], _k)
        {
            ExcludedItems = new ReadOnlyMemory<int>(_seen.UserItems, offset, _seen.UserOffsets[user + 1] - offset),
        };
    }

    /// <summary>
    /// The users listed in <paramref name="path"/>, one external id per line (blank lines skipped), in file order.
    /// </summary>
    /// <exception cref="DataFormatException">The file is missing, empty, or names a user the model does not have.</exception>
    public int[] ReadUserFile(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException(path, null, null, $"no such file: {Path.GetFullPath(path)}");
        var result = new List<int>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            var id = text.Trim();
            if (id.Length == 0) continue;
            if (!Users.TryGetIndex(id, out var index))
            {
                throw new DataFormatException(path, line, "user", $"'{id}' is not a user of the model");
            }
            result.Add(index);
        }
        return result.Count > 0 ? [.. result] : throw new DataFormatException(path, null, null, "names no users");
    }

    private static int[] Remap(IdMap from, IdMap to)
    {
        var map = new int[from.Count];
        for (var i = 0; i < map.Length; i++) map[i] = to.TryGetIndex(from.GetExternalId(i), out var index) ? index : -1;
        return map;
    }
}
