using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Ingestion;

namespace Orleans.LlmRec.Grains.UnitTests;

public class EventBatchValidatorTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 7, 8, 9, 10, TimeSpan.Zero);
    private static readonly IngestionOptions Options = new();

    private static IncomingEvent Valid(int i = 0) => new()
    {
        EventId = $"e{i}",
        UserId = "alice",
        ItemId = "3",
        Type = "click",
        Timestamp = Now.AddMinutes(-1),
    };

    private static EventBatchValidation Validate(params IncomingEvent?[] batch) =>
        EventBatchValidator.Validate(batch, TestWorld.Catalogue(), Options, Now);

    [Fact]
    public void A_valid_batch_becomes_user_events_in_order()
    {
        var result = Validate(Valid(0), Valid(1) with { Type = "Rating", Value = 4f, UserId = "bob" }, Valid(2) with { Type = "DISLIKE" });
        Assert.True(result.IsValid);
        Assert.Equal(["e0", "e1", "e2"], result.Events.Select(e => e.EventId));
        Assert.Equal(UserEventType.Rating, result.Events[1].Type);
        Assert.Equal(4f, result.Events[1].Value);
        Assert.Equal(UserEventType.Dislike, result.Events[2].Type);
    }

    [Fact]
    public void Unknown_users_are_fine_and_values_of_non_ratings_are_dropped()
    {
        var result = Validate(Valid() with { UserId = "never-seen-before", Value = 2f });
        Assert.True(result.IsValid);
        Assert.Null(result.Events[0].Value);
    }

    public static TheoryData<IncomingEvent, string, string> BadEvents => new()
    {
        { Valid() with { ItemId = "999" }, "events[1].itemId", "unknown item '999'" },
        { Valid() with { ItemId = null }, "events[1].itemId", "required" },
        { Valid() with { EventId = " " }, "events[1].eventId", "required" },
        { Valid() with { UserId = null }, "events[1].userId", "required" },
        { Valid() with { UserId = new string('u', 129) }, "events[1].userId", "at most 128" },
        { Valid() with { Type = null }, "events[1].type", "required" },
        { Valid() with { Type = "purchase" }, "events[1].type", "'purchase' is not an event type" },
        { Valid() with { Type = "1" }, "events[1].type", "is not an event type" },
        // Enum.TryParse reads a list as flags: click|view|like = 3 = dislike.
        { Valid() with { Type = "click,view,like" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "click, view" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "3" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "+1" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = " click" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "click\n" }, "events[1].type", "is not an event type" },
        // The dotless ı folds to I under .NET's ordinal ignore-case.
        { Valid() with { Type = "cl\u0131ck" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "Rating,Click" }, "events[1].type", "is not an event type" },
        { Valid() with { Type = "rating" }, "events[1].value", "required for a rating" },
        { Valid() with { Type = "rating", Value = 7f }, "events[1].value", "outside [0.5, 5]" },
        { Valid() with { Value = float.NaN }, "events[1].value", "finite" },
        { Valid() with { Timestamp = null }, "events[1].timestamp", "required" },
        { Valid() with { Timestamp = Now.AddHours(1) }, "events[1].timestamp", "in the future" },
        { Valid() with { Timestamp = DateTimeOffset.UnixEpoch.AddDays(-1) }, "events[1].timestamp", "not after the Unix epoch" },
        { Valid() with { UserId = " alice" }, "events[1].userId", "whitespace" },
        { Valid() with { UserId = "a/b" }, "events[1].userId", "'/'" },
        { Valid() with { ItemId = "3\t" }, "events[1].itemId", "whitespace" },
        { Valid() with { EventId = "e\u0000" }, "events[1].eventId", "control character U+0000" },
        { Valid() with { UserId = "bad1\u200b" }, "events[1].userId", "invisible format character U+200B" },
        { Valid() with { UserId = "bad\u202e1" }, "events[1].userId", "invisible format character U+202E" },
        { Valid() with { UserId = "\ufeffbad1" }, "events[1].userId", "invisible format character U+FEFF" },
        { Valid() with { UserId = "bad\u00851" }, "events[1].userId", "control character U+0085" },
        { Valid() with { UserId = "bad\u007f1" }, "events[1].userId", "control character U+007F" },
        { Valid() with { UserId = "bad\u009b1" }, "events[1].userId", "control character U+009B" },
        { Valid() with { EventId = "e\u2028x" }, "events[1].eventId", "separator U+2028" },
        { Valid() with { UserId = "bad\ufffd" }, "events[1].userId", "U+FFFD" },
        { Valid() with { UserId = "bad\ud800x" }, "events[1].userId", "unpaired surrogate" },
        { Valid() with { UserId = "bad\udc00" }, "events[1].userId", "unpaired surrogate" },
        { Valid() with { ItemId = "3\u200d" }, "events[1].itemId", "invisible format character U+200D" },
        // Not NFC: a mark that composes with its letter, a singleton NFC replaces (Angstrom sign), Hangul jamo that
        // compose into a syllable, marks out of canonical order.
        { Valid() with { EventId = "caf\u0065\u0301" }, "events[1].eventId", "normalization form C" },
        { Valid() with { UserId = "\u212B-user" }, "events[1].userId", "normalization form C" },
        { Valid() with { UserId = "\u1100\u1161" }, "events[1].userId", "normalization form C" },
        { Valid() with { UserId = "\uAC00\u11A8" }, "events[1].userId", "normalization form C" },
        { Valid() with { UserId = "\u1E0B\u0323" }, "events[1].userId", "normalization form C" },
        { Valid() with { UserId = "x\u0301\u0323" }, "events[1].userId", "normalization form C" },
    };

    [Theory]
    [MemberData(nameof(BadEvents))]
    public void A_bad_event_refuses_the_whole_batch_and_names_its_field(IncomingEvent bad, string field, string message)
    {
        var result = Validate(Valid(0), bad, Valid(2));
        Assert.False(result.IsValid);
        Assert.Empty(result.Events);
        var errors = Assert.Single(result.Errors);
        Assert.Equal(field, errors.Key);
        Assert.Contains(message, Assert.Single(errors.Value), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("click", UserEventType.Click)]
    [InlineData("Click", UserEventType.Click)]
    [InlineData("VIEW", UserEventType.View)]
    [InlineData("like", UserEventType.Like)]
    [InlineData("disLike", UserEventType.Dislike)]
    [InlineData("rating", UserEventType.Rating)]
    public void An_event_type_is_one_name_in_any_ascii_case(string text, UserEventType expected)
    {
        Assert.True(UserEventTypeNames.TryParse(text, out var type));
        Assert.Equal(expected, type);
    }

    [Fact]
    public void Ids_in_nfc_and_of_any_script_are_accepted_as_sent()
    {
        var result = Validate(
            Valid() with { UserId = "caf\u00e9-\u7528\u6237-\U0001F600", EventId = "\u00e9v\u00e9nement" },
            // NFC, though they hold combining marks: none has a precomposed form with its letter.
            Valid(1) with { UserId = "x\u0323\u0301-\u0915\u093F-\uAC01" },
            Valid(2) with { UserId = "\u1E0D\u0307" });
        Assert.True(result.IsValid, string.Join("; ", result.Errors.SelectMany(e => e.Value)));
        Assert.Equal("caf\u00e9-\u7528\u6237-\U0001F600", result.Events[0].UserId);
    }

    [Fact]
    public void A_timestamp_within_the_allowed_clock_skew_is_accepted()
    {
        Assert.True(Validate(Valid() with { Timestamp = Now + Options.MaxFutureSkew - TimeSpan.FromSeconds(1) }).IsValid);
    }

    [Fact]
    public void Null_events_empty_and_missing_batches_are_refused()
    {
        Assert.Equal("events[0]", Assert.Single(Validate([null]).Errors).Key);
        Assert.Equal("events", Assert.Single(Validate([]).Errors).Key);
        Assert.Equal("events", Assert.Single(EventBatchValidator.Validate(null, TestWorld.Catalogue(), Options, Now).Errors).Key);
    }

    [Fact]
    public void Every_problem_of_an_event_is_reported_but_the_list_is_capped()
    {
        var several = Validate(new IncomingEvent());
        Assert.Equal(["events[0].eventId", "events[0].itemId", "events[0].timestamp", "events[0].type", "events[0].userId"], several.Errors.Keys.Order());

        var many = Validate(Enumerable.Range(0, 200).Select(i => Valid(i) with { ItemId = "nope" }).ToArray());
        Assert.Equal(EventBatchValidator.MaxReportedErrors + 1, many.Errors.Count);
        Assert.Contains("150 more error(s)", Assert.Single(many.Errors["$"]), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(BadEvents))]
    public void One_event_on_its_own_is_refused_by_the_same_rules_with_the_field_named_without_a_batch_prefix(IncomingEvent bad, string field, string message)
    {
        Assert.False(EventBatchValidator.TryValidateOne(bad, TestWorld.Catalogue(), Options, Now, out var valid, out var problems));
        Assert.Null(valid);
        Assert.StartsWith($"{field["events[1].".Length..]}: ", problems, StringComparison.Ordinal);
        Assert.Contains(message, problems, StringComparison.Ordinal);
    }

    [Fact]
    public void One_valid_event_on_its_own_becomes_the_same_user_event_as_in_a_batch()
    {
        var incoming = Valid(7) with { Type = "Rating", Value = 4.5f };
        Assert.True(EventBatchValidator.TryValidateOne(incoming, TestWorld.Catalogue(), Options, Now, out var valid, out var problems));
        Assert.Null(problems);
        Assert.Equal(Assert.Single(Validate(incoming).Events), valid);
    }

    [Fact]
    public void Every_problem_of_one_event_on_its_own_is_listed_on_one_line()
    {
        Assert.False(EventBatchValidator.TryValidateOne(new IncomingEvent { ItemId = "nope" }, TestWorld.Catalogue(), Options, Now, out _, out var problems));
        Assert.Equal(
            "eventId: is required; userId: is required; itemId: unknown item 'nope'; type: is required (click, view, like, dislike or rating); "
            + "timestamp: is required (ISO 8601 with offset, e.g. 2025-06-07T08:09:10Z)",
            problems);
    }
}
