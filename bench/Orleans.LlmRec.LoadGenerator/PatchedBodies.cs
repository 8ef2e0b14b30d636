using System.Globalization;
using System.Net.Http.Headers;
using System.Text;

namespace Orleans.LlmRec.LoadGenerator;

/// <summary>
/// One worker's POST /v1/events bodies, serialised once: a few templates of random clicks whose event ids end in a
/// fixed-width counter. <see cref="Next"/> writes the worker's next counter into every id of one template, in place,
/// so each request carries new ids for the price of a few hundred byte writes. A body is reused only after its
/// request answered (one request in flight per worker).
/// </summary>
internal sealed class PatchedBodies
{
    public static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };

    private const int Templates = 16;
    private const int CounterDigits = 12;

    private readonly byte[][] _bodies;
    private readonly int[][] _counterAt;
    private long _counter;

    private PatchedBodies(byte[][] bodies, int[][] counterAt)
    {
        _bodies = bodies;
        _counterAt = counterAt;
    }

    public static PatchedBodies Create(string run, int worker, int batch, int users, IReadOnlyList<string> items)
    {
        var random = new Random(worker + 1);
        var timestamp = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture);
        var bodies = new byte[Templates][];
        var offsets = new int[Templates][];
        for (var t = 0; t < Templates; t++)
        {
            var json = new StringBuilder(batch * 140).Append('[');
            offsets[t] = new int[batch];
            for (var i = 0; i < batch; i++)
            {
                if (i > 0) json.Append(',');
                // The template's index and the event's place keep ids apart within one counter value.
                json.Append(CultureInfo.InvariantCulture, $$"""{"eventId":"in-{{run}}-{{worker}}-{{t}}-{{i}}-""");
                offsets[t][i] = json.Length; // ASCII only: char offsets are byte offsets
                json.Append('0', CounterDigits).Append('"').Append(CultureInfo.InvariantCulture,
                    $$""","userId":"{{Scenarios.UserId(random.Next(users))}}","itemId":"{{items[random.Next(items.Count)]}}","type":"click","timestamp":"{{timestamp}}"}""");
            }
            bodies[t] = Encoding.UTF8.GetBytes(json.Append(']').ToString());
        }
        return new PatchedBodies(bodies, offsets);
    }

    /// <summary>A random template with the next counter written into every event id.</summary>
    public byte[] Next(Random random)
    {
        var t = random.Next(Templates);
        var body = _bodies[t];
        var counter = ++_counter;
        Span<byte> digits = stackalloc byte[CounterDigits];
        for (var d = CounterDigits - 1; d >= 0; d--, counter /= 10) digits[d] = (byte)('0' + (int)(counter % 10));
        foreach (var at in _counterAt[t]) digits.CopyTo(body.AsSpan(at));
        return body;
    }
}
