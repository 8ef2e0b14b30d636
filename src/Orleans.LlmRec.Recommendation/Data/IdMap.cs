using System.Security.Cryptography;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// Maps external ids (as the data set spells them) to dense indexes 0..Count-1 and back.
/// Dense indexes are assigned in first-seen order, so the same file always yields the same map.
/// </summary>
public sealed class IdMap
{
    private readonly Dictionary<string, int> _indexByExternal;
    private readonly List<string> _externalByIndex;

    public IdMap()
    {
        _indexByExternal = new Dictionary<string, int>(StringComparer.Ordinal);
        _externalByIndex = [];
    }

    public IdMap(IEnumerable<string> externalIds) : this()
    {
        foreach (var id in externalIds)
        {
            if (!_indexByExternal.TryAdd(id, _externalByIndex.Count))
            {
                throw new ArgumentException($"Duplicate external id '{id}'.", nameof(externalIds));
            }
            _externalByIndex.Add(id);
        }
    }

    public int Count => _externalByIndex.Count;

    public IReadOnlyList<string> ExternalIds => _externalByIndex;

    /// <summary>Returns the dense index of <paramref name="externalId"/>, adding it if new.</summary>
    public int GetOrAdd(string externalId)
    {
        if (_indexByExternal.TryGetValue(externalId, out var index))
        {
            return index;
        }
        index = _externalByIndex.Count;
        _indexByExternal.Add(externalId, index);
        _externalByIndex.Add(externalId);
        return index;
    }

    public bool TryGetIndex(string externalId, out int index) => _indexByExternal.TryGetValue(externalId, out index);

    public int this[string externalId] => _indexByExternal[externalId];

    public string GetExternalId(int index) => _externalByIndex[index];

    /// <summary>SHA-256 over the ordered external ids: two maps with the same checksum assign the same indexes.</summary>
    public string Checksum()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var id in _externalByIndex)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(id));
            hash.AppendData("\n"u8);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
