using System.IO.Hashing;
using System.Text;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Event ids are remembered as 32-bit fingerprints (the high half of the XxHash64 of the id's UTF-8 bytes): a thousand
/// GUID strings would be ~40 KB of state per user, their fingerprints 4 KB at most. The price is a false positive: a
/// new event whose fingerprint equals one of the W remembered is taken for a duplicate and dropped, with probability
/// W / 2³² per event (≤ 2.3·10⁻⁷ at the 1,000-id bound, 2.3·10⁻⁸ for a user with 100 events). Stored fingerprints
/// depend on this function, so it must never change.
/// </summary>
public static class EventIdHash
{
    private const int StackLimit = 512;

    public static uint Fingerprint(string eventId) => (uint)(Of(eventId) >> 32);

    public static ulong Of(string eventId)
    {
        ArgumentNullException.ThrowIfNull(eventId);
        // Every event is hashed on ingestion: encode short ids on the stack instead of allocating their bytes.
        if (Encoding.UTF8.GetMaxByteCount(eventId.Length) <= StackLimit)
        {
            Span<byte> buffer = stackalloc byte[StackLimit];
            var length = Encoding.UTF8.GetBytes(eventId, buffer);
            return XxHash64.HashToUInt64(buffer[..length]);
        }
        return XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(eventId));
    }
}
