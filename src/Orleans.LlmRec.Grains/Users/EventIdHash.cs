using System.IO.Hashing;
using System.Text;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Event ids are remembered as 64-bit XxHash64 values: a thousand GUID strings would be ~40 KB of state per user,
/// their hashes 8 KB. The chance that two of a user's last 1,000 distinct ids collide is about 1,000² / 2⁶⁵ ≈ 3·10⁻¹⁴.
/// The hash is of the id's UTF-8 bytes; stored hashes depend on that, so it must never change.
/// </summary>
public static class EventIdHash
{
    private const int StackLimit = 512;

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
