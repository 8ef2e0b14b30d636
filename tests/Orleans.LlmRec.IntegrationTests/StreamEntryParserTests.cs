using System.Globalization;
using Microsoft.Extensions.Options;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Ingestion;
using StackExchange.Redis;

namespace Orleans.LlmRec.IntegrationTests;

/// <summary>How a Redis stream entry becomes an event, and the consumer's configuration checks (no Redis needed).</summary>
public class StreamEntryParserTests
{
    [Fact]
    public void Fields_are_read_by_case_insensitive_name_in_any_order_and_unknown_ones_are_ignored()
    {
        NameValueEntry[] fields =
        [
            new("TIMESTAMP", "2024-05-06T07:08:09+02:00"),
            new("source", "mobile"),
            new("value", "4.5"),
            new("type", "rating"),
            new("itemid", "42"),
            new("userId", "u1"),
            new("eventId", "e1"),
        ];
        Assert.True(StreamEntryParser.TryParse(fields, out var e, out var error), error);
        Assert.Equal(("e1", "u1", "42", "rating", 4.5f), (e.EventId, e.UserId, e.ItemId, e.Type, e.Value));
        Assert.Equal(new DateTimeOffset(2024, 5, 6, 5, 8, 9, TimeSpan.Zero), e.Timestamp);
    }

    [Theory]
    [InlineData("1700000000", "2023-11-14T22:13:20+00:00")]
    [InlineData("2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00")]
    [InlineData("2024-01-02T03:04:05", "2024-01-02T03:04:05+00:00")]
    public void Timestamps_are_unix_seconds_or_iso_8601_with_utc_assumed(string text, string expected)
    {
        Assert.True(StreamEntryParser.TryParseTimestamp(text, out var at));
        Assert.Equal(DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture), at);
    }

    [Theory]
    [InlineData("value", "high", "value 'high' is not a number")]
    [InlineData("timestamp", "1.5e9x", "timestamp '1.5e9x' is neither")]
    [InlineData("timestamp", "99999999999999999", "timestamp '99999999999999999' is neither")]
    public void Unparseable_values_are_rejected_with_the_field_named(string field, string value, string expected)
    {
        NameValueEntry[] fields = [new("eventId", "e"), new("userId", "u"), new("itemId", "i"), new("type", "click"), new(field, value)];
        Assert.False(StreamEntryParser.TryParse(fields, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("timestamp", "TimeStamp")]
    [InlineData("userId", "userId")]
    public void A_field_given_twice_is_rejected_as_ambiguous(string first, string second)
    {
        NameValueEntry[] fields = [new("eventId", "e"), new("userId", "u"), new("itemId", "i"), new("type", "click"), new("timestamp", "1700000000")];
        fields = [.. fields, new(second, first == "timestamp" ? "1700000100" : "someone-else")];
        Assert.False(StreamEntryParser.TryParse(fields, out _, out var error));
        Assert.Equal($"field '{second}' is given more than once", error);
    }

    [Fact]
    public void Missing_fields_are_left_to_the_validator_and_an_empty_entry_is_rejected()
    {
        Assert.True(StreamEntryParser.TryParse([new("userId", "u")], out var partial, out _));
        Assert.Null(partial.EventId);
        Assert.Null(partial.Timestamp);
        Assert.False(StreamEntryParser.TryParse([], out _, out var error));
        Assert.Equal("the entry has no fields", error);
    }

    [Theory]
    [InlineData("userId", new byte[] { 0x62, 0x61, 0x64, 0xFF }, "the value of field 'userId' is not valid UTF-8")]
    [InlineData("itemId", new byte[] { 0xC3, 0x28 }, "the value of field 'itemId' is not valid UTF-8")]
    [InlineData("eventId", new byte[] { 0xED, 0xA0, 0x80 }, "the value of field 'eventId' is not valid UTF-8")]
    [InlineData("type", new byte[] { 0x63, 0x6C, 0x69, 0x63, 0x6B, 0xC0, 0xAF }, "the value of field 'type' is not valid UTF-8")]
    public void Invalid_utf8_is_refused_not_decoded_to_replacement_characters(string field, byte[] bytes, string expected)
    {
        // 0xFF never occurs in UTF-8; C3 28 is a broken pair; ED A0 80 encodes a surrogate; C0 AF is an overlong '/'.
        NameValueEntry[] fields = [new("eventId", "e"), new("userId", "u"), new("itemId", "i"), new("type", "click"), new("timestamp", "1700000000")];
        fields = [.. fields.Select(f => f.Name == field ? new NameValueEntry(field, bytes) : f)];
        Assert.False(StreamEntryParser.TryParse(fields, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void A_field_name_that_is_not_utf8_is_refused()
    {
        NameValueEntry[] fields = [new("eventId", "e"), new(new byte[] { 0x75, 0xFE }, "u")];
        Assert.False(StreamEntryParser.TryParse(fields, out _, out var error));
        Assert.Equal("a field name is not valid UTF-8", error);
    }

    [Fact]
    public void Multi_byte_utf8_reads_as_the_characters_it_encodes()
    {
        NameValueEntry[] fields = [new("userId", "caf\u00e9-\u7528\u6237"u8.ToArray()), new("type", "click")];
        Assert.True(StreamEntryParser.TryParse(fields, out var e, out var error), error);
        Assert.Equal("caf\u00e9-\u7528\u6237", e.UserId);
    }

    [Fact]
    public async Task An_enabled_stream_without_a_redis_connection_string_is_refused_by_name()
    {
        var ports = FreePorts.Take(3);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["EventStream:Enabled"] = "true",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        }));
        Assert.Contains("EventStream:RedisConnectionString (or Silo:RedisConnectionString) is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dead_letter_key_equal_to_the_stream_key_is_refused_by_name()
    {
        var ports = FreePorts.Take(3);
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SiloServer.StartAsync(ports[0], new Dictionary<string, string>
        {
            ["EventStream:Enabled"] = "true",
            ["EventStream:RedisConnectionString"] = "127.0.0.1:1",
            ["EventStream:DeadLetterKey"] = "llmrec:events",
            ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
            ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
            ["Logging:LogLevel:Default"] = "None",
        }));
        Assert.Contains("EventStream:DeadLetterKey must differ from EventStream:Key", error.Message, StringComparison.Ordinal);
    }
}
