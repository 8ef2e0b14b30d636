using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;

namespace Orleans.LlmRec.Grains.UnitTests;

/// <summary>The compact stored forms of the history and of the event-id window.</summary>
public class CompactStateTests
{
    [Fact]
    public void A_history_round_trips_exactly_through_its_encoding()
    {
        var history = new InteractionHistory(10);
        var records = new[]
        {
            new InteractionRecord { ItemId = "318", Type = UserEventType.Click, Timestamp = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123) },
            new InteractionRecord { ItemId = "é-ü-漢字", Type = UserEventType.Rating, Value = 4.5f, Timestamp = new DateTimeOffset(2026, 11, 26, 12, 0, 0, 7, TimeSpan.FromHours(5.5)) },
            new InteractionRecord { ItemId = new string('x', 300), Type = UserEventType.Dislike, Timestamp = DateTimeOffset.MinValue },
            new InteractionRecord { ItemId = "", Type = UserEventType.Rating, Value = 0f, Timestamp = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.FromHours(-14)) },
            new InteractionRecord { ItemId = "7", Type = UserEventType.Like, Value = null, Timestamp = DateTimeOffset.UnixEpoch },
            new InteractionRecord { ItemId = "8", Type = UserEventType.View, Timestamp = DateTimeOffset.UnixEpoch },
        };
        foreach (var record in records) history.Add(record);

        var copy = InteractionHistory.Decode(history.Encode(), 10);
        Assert.Equal(records, copy);
        // Record equality compares instants; the offsets must survive too.
        Assert.Equal(records.Select(r => r.Timestamp.Offset), copy.Select(r => r.Timestamp.Offset));
        Assert.Equal(records.Select(r => r.Timestamp.Ticks), copy.Select(r => r.Timestamp.Ticks));
        Assert.Empty(InteractionHistory.Decode(new InteractionHistory(3).Encode(), 3));
    }

    [Fact]
    public void A_history_keeps_its_newest_records_and_says_which_fell_out()
    {
        var history = new InteractionHistory(3);
        InteractionRecord Click(int i) => new() { ItemId = $"{i}", Type = UserEventType.Click, Timestamp = DateTimeOffset.UnixEpoch };
        Assert.Null(history.Add(Click(1)));
        Assert.Null(history.Add(Click(2)));
        Assert.Null(history.Add(Click(3)));
        Assert.Equal("1", history.Add(Click(4))!.ItemId);
        Assert.Equal(["2", "3", "4"], history.Select(h => h.ItemId));
        // Decoded into a smaller window (a lowered bound), the newest are kept.
        Assert.Equal(["3", "4"], InteractionHistory.Decode(history.Encode(), 2).Select(h => h.ItemId));
    }

    [Fact]
    public void The_encoding_kept_while_records_come_and_go_reads_back_as_the_kept_records()
    {
        // Ids of 1 to 300 characters (one- and two-byte length prefixes, multi-byte UTF-8), so the kept bytes are
        // moved to the buffer's start and the buffer grows several times while the oldest records drop out.
        var history = new InteractionHistory(20);
        var added = new List<InteractionRecord>();
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var id = random.Next(4) switch
            {
                0 => $"{i}",
                1 => new string('é', random.Next(1, 150)),
                2 => new string('x', random.Next(100, 300)),
                _ => $"item-{i}-漢字",
            };
            var record = new InteractionRecord
            {
                ItemId = id,
                Type = (UserEventType)(i % 5),
                Value = i % 5 == (int)UserEventType.Rating ? i / 100f : null,
                Timestamp = DateTimeOffset.UnixEpoch.AddMinutes(i).ToOffset(TimeSpan.FromHours(i % 3)),
            };
            history.Add(record);
            added.Add(record);

            // Times are deltas from the last record dropped: the kept bytes read back as the kept records, and a
            // history read from them writes the same bytes again.
            var read = InteractionHistory.Decode(history.Encode(), 20);
            Assert.Equal(added.TakeLast(20), read);
            Assert.Equal(read.Encode(), history.Encode());
        }
        Assert.Equal(added.TakeLast(20), InteractionHistory.Decode(history.Encode(), 20));
    }

    [Fact]
    public void The_history_encoding_keeps_its_stored_layout()
    {
        // Format 2: version, count, base ticks; per record flags, numeric item varint, time delta (zigzag, in seconds
        // when whole, in ticks with the offset otherwise), half-step value byte, fingerprint.
        var history = new InteractionHistory(5);
        history.Add(new InteractionRecord { ItemId = "42", Type = UserEventType.Rating, Value = 3f, Timestamp = DateTimeOffset.UnixEpoch });
        history.Add(new InteractionRecord { ItemId = "7", Type = UserEventType.Click, Timestamp = new DateTimeOffset(1970, 1, 1, 2, 0, 0, TimeSpan.FromHours(2)), EventFingerprint = 0x01020304 });
        byte[] epochSecondsZigzag = [0x80, 0xDC, 0x8F, 0xF9, 0xCE, 0x03];
        byte[] expected =
        [
            2, 2, 0,
            (byte)UserEventType.Rating | 0x08 | 0x10, 42, .. epochSecondsZigzag, 6,
            (byte)UserEventType.Click | 0x10 | 0x20 | 0xC0, 7, 0, 120, 0, 4, 3, 2, 1,
        ];
        Assert.Equal(expected, history.Encode());
        Assert.Equal(history, InteractionHistory.Decode(expected, 5));
    }

    [Theory]
    [InlineData("0", true)]
    [InlineData("123456789012345678", true)]
    [InlineData("007", false)]
    [InlineData("-1", false)]
    [InlineData("1234567890123456789", false)]
    [InlineData("i42", false)]
    public void Numeric_item_ids_take_a_varint_and_read_back_as_the_same_string(string itemId, bool compact)
    {
        var history = new InteractionHistory(2);
        history.Add(new InteractionRecord { ItemId = itemId, Type = UserEventType.Click, Timestamp = DateTimeOffset.UnixEpoch });
        var copy = InteractionHistory.Decode(history.Encode(), 2);
        Assert.Equal(itemId, Assert.Single(copy).ItemId);
        Assert.Equal(compact, (history.Encode()[3] & 0x10) != 0);
    }

    [Fact]
    public void Values_and_times_that_need_full_precision_keep_it()
    {
        var history = new InteractionHistory(8);
        var start = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
        InteractionRecord[] records =
        [
            new() { ItemId = "1", Type = UserEventType.Rating, Value = 4.5f, Timestamp = start },
            new() { ItemId = "2", Type = UserEventType.Rating, Value = 3.7f, Timestamp = start.AddMilliseconds(1_234) },
            new() { ItemId = "3", Type = UserEventType.Rating, Value = -0f, Timestamp = start.AddTicks(-7) },
            new() { ItemId = "4", Type = UserEventType.Rating, Value = float.NaN, Timestamp = start.AddDays(-400) },
            new() { ItemId = "5", Type = UserEventType.Rating, Value = 200f, Timestamp = start.AddYears(3) },
            new() { ItemId = "6", Type = UserEventType.Click, Timestamp = start, EventFingerprint = uint.MaxValue },
        ];
        foreach (var record in records) history.Add(record);
        var copy = InteractionHistory.Decode(history.Encode(), 8);
        Assert.Equal(records.Select(r => (r.Timestamp.UtcTicks, r.EventFingerprint)), copy.Select(r => (r.Timestamp.UtcTicks, r.EventFingerprint)));
        Assert.Equal(records.Select(r => r.Value is { } v ? BitConverter.SingleToInt32Bits(v) : (int?)null), copy.Select(r => r.Value is { } v ? BitConverter.SingleToInt32Bits(v) : (int?)null));
    }

    [Fact]
    public void A_damaged_history_encoding_is_a_format_error()
    {
        var history = new InteractionHistory(5);
        history.Add(new InteractionRecord { ItemId = "42", Type = UserEventType.Rating, Value = 3f, Timestamp = DateTimeOffset.UnixEpoch });
        var bytes = history.Encode();
        Assert.Throws<FormatException>(() => InteractionHistory.Decode(bytes.AsSpan(0, bytes.Length - 1), 5));
        Assert.Throws<FormatException>(() => InteractionHistory.Decode([], 5));
        var otherVersion = bytes.ToArray();
        otherVersion[0] = 99;
        Assert.Throws<FormatException>(() => InteractionHistory.Decode(otherVersion, 5));
    }

    [Fact]
    public void The_event_id_window_forgets_exactly_the_oldest_and_round_trips()
    {
        var window = new EventIdWindow(4);
        // 0 is a hash like any other; unused slots must not match it.
        Assert.False(window.Contains(0));
        foreach (var hash in new uint[] { 0, 1, 2 }) window.Add(hash);
        Assert.True(window.Contains(0));
        Assert.False(window.Contains(3));
        foreach (var hash in new uint[] { 3, 4, uint.MaxValue }) window.Add(hash);
        Assert.Equal([2U, 3U, 4U, uint.MaxValue], window);
        Assert.False(window.Contains(0));
        Assert.False(window.Contains(1));
        Assert.True(window.Contains(uint.MaxValue));

        var copy = EventIdWindow.Decode(window.Encode(), 4);
        Assert.Equal(window, copy);
        Assert.Equal(4 * sizeof(uint), window.Encode().Length);
        copy.Add(5);
        Assert.Equal([3U, 4U, uint.MaxValue, 5U], copy);
        Assert.Equal([4U, uint.MaxValue], EventIdWindow.Decode(window.Encode(), 2));
        Assert.Throws<FormatException>(() => EventIdWindow.Decode(new byte[7], 4));
        copy.Clear();
        Assert.Empty(copy);
        Assert.False(copy.Contains(5));
    }

    [Fact]
    public void The_event_id_window_holds_memory_only_for_the_fingerprints_it_has()
    {
        var window = new EventIdWindow(800);
        Assert.Equal(0, window.Allocated);
        foreach (var hash in Enumerable.Range(0, 3)) window.Add((uint)hash);
        Assert.Equal(8, window.Allocated);
        foreach (var hash in Enumerable.Range(3, 1_000)) window.Add((uint)hash);
        Assert.Equal(800, window.Allocated);
        // Full, it forgets the oldest as before: the newest 800 of 1,003.
        Assert.Equal(Enumerable.Range(203, 800).Select(h => (uint)h), window);
        Assert.False(window.Contains(202));
        Assert.True(window.Contains(203));
        window.Clear();
        Assert.Equal(0, window.Allocated);
        window.Add(7);
        Assert.Equal([7U], window);
    }
}

public class EventIdHashTests
{
    [Theory]
    [InlineData("e1")]
    [InlineData("in-1-3-12345")]
    [InlineData("événement-漢字-🙂")]
    [InlineData("")]
    public void The_hash_is_XxHash64_of_the_UTF8_bytes_as_stored_before(string eventId)
    {
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(eventId)), EventIdHash.Of(eventId));
    }

    [Fact]
    public void Long_ids_hash_the_same_way()
    {
        var id = string.Concat(Enumerable.Repeat("ü-0123456789", 100));
        Assert.Equal(System.IO.Hashing.XxHash64.HashToUInt64(System.Text.Encoding.UTF8.GetBytes(id)), EventIdHash.Of(id));
        Assert.NotEqual(EventIdHash.Of(id), EventIdHash.Of(id + "x"));
    }
}
