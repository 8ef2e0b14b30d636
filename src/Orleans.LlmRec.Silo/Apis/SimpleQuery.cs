using System.Collections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;

namespace Orleans.LlmRec.Silo.Apis;

/// <summary>
/// The query of a request whose query string needs no decoding (<c>?k=20</c>: letters, digits, <c>-._~,</c>, each key
/// once), read in place: a parameter lookup scans the string and allocates only the value it returns. The framework's
/// query feature builds a dictionary of every parameter on first read (~380 B, nearly half of what a cached feed
/// allocated after the other cuts). Anything but a lookup by name (enumeration, keys) is answered by the framework's
/// own parse, made then; a query string that needs decoding, repeats a key or has an empty part is not read here at
/// all (<see cref="IsSimple"/>), so every request sees the same values as before.
/// </summary>
public sealed class SimpleQuery : IQueryFeature, IQueryCollection
{
    /// <summary>More parts than this are left to the framework (the scan is per lookup).</summary>
    public const int MaxParts = 8;

    private readonly string _query;
    private IQueryCollection? _parsed;
    private IQueryCollection? _replaced;

    /// <param name="query">The query string with its leading <c>?</c>, for which <see cref="IsSimple"/> holds.</param>
    public SimpleQuery(string query) => _query = query;

    /// <summary>
    /// <c>?</c> then up to <see cref="MaxParts"/> parts <c>key=value</c> joined by <c>&amp;</c>: non-empty keys, distinct
    /// ignoring case (as the framework compares them), and only characters that URL decoding leaves as they are.
    /// </summary>
    public static bool IsSimple(string query)
    {
        if (query.Length < 2 || query[0] != '?') return false;
        var parts = 0;
        for (var start = 1; start <= query.Length; parts++)
        {
            var end = query.IndexOf('&', start);
            if (end < 0) end = query.Length;
            var equals = query.IndexOf('=', start, end - start);
            if (parts == MaxParts || equals <= start) return false;
            for (var i = start; i < end; i++)
            {
                if (!IsPlain(query[i]) && i != equals) return false;
            }
            if (Find(query, query.AsSpan(start, equals - start), 1, start).Found) return false;
            start = end + 1;
        }
        return true;
    }

    private static bool IsPlain(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or ',';

    /// <summary>The value of <paramref name="key"/> between <paramref name="from"/> and <paramref name="to"/> (exclusive).</summary>
    private static (bool Found, int ValueStart, int ValueEnd) Find(string query, ReadOnlySpan<char> key, int from, int to)
    {
        for (var start = from; start < to;)
        {
            var end = query.IndexOf('&', start);
            if (end < 0) end = query.Length;
            var equals = query.IndexOf('=', start, end - start);
            if (query.AsSpan(start, equals - start).Equals(key, StringComparison.OrdinalIgnoreCase)) return (true, equals + 1, end);
            start = end + 1;
        }
        return (false, 0, 0);
    }

    IQueryCollection IQueryFeature.Query
    {
        get => _replaced ?? this;
        set => _replaced = value;
    }

    public StringValues this[string key] => TryGetValue(key, out var value) ? value : StringValues.Empty;

    public bool TryGetValue(string key, out StringValues value)
    {
        var (found, start, end) = Find(_query, key, 1, _query.Length);
        value = found ? new StringValues(_query[start..end]) : StringValues.Empty;
        return found;
    }

    public bool ContainsKey(string key) => Find(_query, key, 1, _query.Length).Found;

    public int Count => Parsed.Count;

    public ICollection<string> Keys => Parsed.Keys;

    public IEnumerator<KeyValuePair<string, StringValues>> GetEnumerator() => Parsed.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IQueryCollection Parsed => _parsed ??= new QueryCollection(QueryHelpers.ParseQuery(_query));
}

public static class SimpleQueries
{
    /// <summary>Installs a <see cref="SimpleQuery"/> for each request whose query string <see cref="SimpleQuery.IsSimple"/>.</summary>
    public static IApplicationBuilder UseSimpleQueries(this IApplicationBuilder app) => app.Use(static (context, next) =>
    {
        if (context.Request.QueryString.Value is { Length: > 1 } query && SimpleQuery.IsSimple(query)) context.Features.Set<IQueryFeature>(new SimpleQuery(query));
        return next(context);
    });
}
