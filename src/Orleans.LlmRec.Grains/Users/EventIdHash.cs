using System.IO.Hashing;
using System.Text;

namespace Orleans.LlmRec.Grains.Users;

/// <summary>
/// Event ids are remembered as 64-bit XxHash64 values: a thousand GUID strings would be ~40 KB of state per user,
/// their hashes 8 KB. The chance that two of a user's last 1,000 distinct ids collide is about 1,000² / 2⁶⁵ ≈ 3·10⁻¹⁴.
/// </summary>
public static class EventIdHash
{
    public static ulong Of(string eventId) => XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(eventId));
}
