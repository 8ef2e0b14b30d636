using System.Globalization;
using System.Text;

namespace Orleans.LlmRec.Grains.Ingestion;

/// <summary>
/// What an id (user, item, event) may be, wherever it arrives: an HTTP path, query or body, or a Redis stream entry.
/// Ids are compared as ordinal strings, so two ids that look the same must be the same string, or be refused:
/// <list type="bullet">
/// <item>no control characters (Unicode Cc, e.g. U+0000, U+007F, U+0085), no invisible format characters (Cf, e.g.
/// U+200B zero width space, U+202E right-to-left override, U+FEFF), no line or paragraph separators (U+2028/9) and no
/// surrounding whitespace: <c>"bad1\u200b"</c> would be a second user who looks like <c>"bad1"</c>;</item>
/// <item>valid Unicode only: no unpaired surrogate, and no U+FFFD, the mark a lossy decode of invalid UTF-8 leaves
/// (such an id is not what the client sent);</item>
/// <item>Unicode normalization form C (NFC): <c>"caf\u0065\u0301"</c> and <c>"caf\u00e9"</c> look the same.
/// Refused, not normalised: an id is a key the client owns (its own records join on it, and item ids must match the
/// catalogue's), so the service keeps exactly the string it was given and asks for one spelling instead of storing a
/// user under a key the client never sent, or making ids that differ on the wire the same user. The check is
/// <see cref="NfcCheck"/>, with its own tables (invariant globalization has none);</item>
/// <item>user and item ids appear in URL paths (<c>/v1/users/{userId}</c>), so they may not hold a <c>/</c>.</item>
/// </list>
/// </summary>
public static class IdRules
{
    /// <summary>Why <paramref name="id"/> cannot be an id, or null. Emptiness and length are the caller's to word.</summary>
    public static string? Problem(string id, bool inPaths)
    {
        if (id.Length == 0) return "must not be empty";
        if (char.IsWhiteSpace(id[0]) || char.IsWhiteSpace(id[^1])) return "starts or ends with whitespace";
        if (inPaths && id.Contains('/')) return "contains '/', which a URL path cannot carry";
        // ASCII, the common case, is always NFC and holds no format characters: only controls are left to find.
        if (Ascii.IsValid(id))
        {
            var control = id.AsSpan().IndexOfAnyInRange('\u0000', '\u001F');
            if (control < 0) control = id.IndexOf('\u007F', StringComparison.Ordinal);
            return control >= 0 ? $"contains the control character {CodePoint(id[control])}" : null;
        }
        var span = id.AsSpan();
        while (!span.IsEmpty)
        {
            if (Rune.DecodeFromUtf16(span, out var rune, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return $"contains an unpaired surrogate ({CodePoint(span[0])}): not valid Unicode";
            }
            if (CharacterProblem(rune) is { } problem) return problem;
            span = span[consumed..];
        }
        if (!NfcCheck.IsNormalized(id))
        {
            return "is not in Unicode normalization form C (NFC); send its NFC form, so that one name is one id";
        }
        return null;
    }

    private static string? CharacterProblem(Rune rune)
    {
        if (rune.Value == 0xFFFD) return "contains U+FFFD, the replacement character a lossy decode of invalid UTF-8 leaves";
        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.Control => $"contains the control character {CodePoint(rune)}",
            UnicodeCategory.Format => $"contains the invisible format character {CodePoint(rune)}",
            UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator => $"contains the line or paragraph separator {CodePoint(rune)}",
            _ => null,
        };
    }

    private static string CodePoint(Rune rune) => $"U+{rune.Value:X4}";

    private static string CodePoint(char c) => $"U+{(int)c:X4}";
}
