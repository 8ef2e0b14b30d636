using Orleans.LlmRec.Abstractions;
using Orleans.LlmRec.Grains.Users;
using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Grains.UnitTests;

public class InteractionSignalsTests
{
    private static InteractionRecord Record(string item, UserEventType type, float? value = null) =>
        new() { ItemId = item, Type = type, Value = value, Timestamp = DateTimeOffset.UnixEpoch };

    [Fact]
    public void The_strongest_signal_per_item_counts_and_an_explicit_rating_beats_implicit_ones()
    {
        var catalogue = TestWorld.Catalogue();
        var history = new[]
        {
            Record("1", UserEventType.View), Record("1", UserEventType.Like), Record("1", UserEventType.Click),
            Record("2", UserEventType.Like), Record("2", UserEventType.Rating, 3f),
        };
        var signals = InteractionSignals.ToFoldIn(history, [], catalogue, ModelKind.Bpr);
        Assert.Equal(2, signals.Length);
        Assert.Equal(InteractionSignals.LikeWeight, signals[0].Value);
        Assert.False(signals[0].IsRating);
        Assert.True(signals[1].IsRating);
        Assert.Equal(3f / InteractionSignals.TopRating * InteractionSignals.LikeWeight, signals[1].Value, 5);
    }

    [Fact]
    public void Rating_models_get_the_stars_themselves()
    {
        var signals = InteractionSignals.ToFoldIn([Record("4", UserEventType.Rating, 4.5f), Record("5", UserEventType.Click)], [], TestWorld.Catalogue(), ModelKind.Svd);
        Assert.Equal(4.5f, signals[0].Value);
        Assert.True(signals[0].IsRating);
        Assert.False(signals[1].IsRating);
    }

    [Fact]
    public void Dislikes_and_low_ratings_are_negative_unless_the_item_also_has_a_positive_signal()
    {
        var catalogue = TestWorld.Catalogue();
        var history = new[]
        {
            Record("1", UserEventType.Dislike),
            Record("2", UserEventType.Rating, 1f),
            Record("3", UserEventType.Rating, 1f), Record("3", UserEventType.Click),
        };
        var signals = InteractionSignals.ToFoldIn(history, ["1"], catalogue, ModelKind.Bpr).ToDictionary(s => catalogue.ItemIdOf(s.Item));
        Assert.True(signals["1"].Negative);
        Assert.True(signals["2"].Negative);
        Assert.False(signals["3"].Negative);
    }

    [Fact]
    public void The_latest_rating_of_an_item_replaces_an_earlier_one()
    {
        var catalogue = TestWorld.Catalogue();
        var history = new[] { Record("4", UserEventType.Rating, 5f), Record("4", UserEventType.Rating, 1f) };
        var rerated = Assert.Single(InteractionSignals.ToFoldIn(history, [], catalogue, ModelKind.Svd));
        Assert.Equal(1f, rerated.Value);
        Assert.True(rerated.Negative);
        var raisedAgain = Assert.Single(InteractionSignals.ToFoldIn([.. history, Record("4", UserEventType.Rating, 4.5f)], [], catalogue, ModelKind.Svd));
        Assert.Equal(4.5f, raisedAgain.Value);
        Assert.False(raisedAgain.Negative);
    }

    [Fact]
    public void A_remembered_dislike_overrides_earlier_positive_signals_and_unknown_items_are_skipped()
    {
        var catalogue = TestWorld.Catalogue();
        var signals = InteractionSignals.ToFoldIn([Record("6", UserEventType.Like), Record("nope", UserEventType.Like)], ["6"], catalogue, ModelKind.Bpr);
        var only = Assert.Single(signals);
        Assert.True(only.Negative);
        Assert.Equal("6", catalogue.ItemIdOf(only.Item));
    }
}
