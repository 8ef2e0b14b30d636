using Orleans.LlmRec.Llm.Offline.Augmentation;
using Orleans.LlmRec.Recommendation.Data;
using static Orleans.LlmRec.Llm.Offline.UnitTests.TestItems;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public class AugmentationInputsTests
{
    [Fact]
    public void Items_to_describe_are_the_prompts_items_once_each_without_attributes_and_with_their_description()
    {
        AugmentationUser[] users =
        [
            new("u1", [Movie("a", "Alien"), Movie("b", "Heat")], [Movie("c", "Amelie"), Movie("d", "Solaris")]),
            new("u2", [Movie("b", "Heat")], [Movie("a", "Alien"), Movie("e", "Up")]),
        ];
        var haveAttributes = new Dictionary<string, string> { ["d"] = "Sci-Fi" };
        var descriptions = new Dictionary<string, string> { ["c"] = "A shy waitress in Paris." };

        var items = AugmentationInputs.ItemsToDescribe(users, haveAttributes, descriptions);

        Assert.Equal(["a", "b", "c", "e"], items.Select(i => i.ExternalId));
        Assert.Equal("A shy waitress in Paris.", items[2].Description);
        Assert.Null(items[0].Description);
    }

    [Fact]
    public void Profile_subjects_are_users_without_a_profile_with_their_best_rated_latest_history_and_item_text()
    {
        var data = new RatingsDataset("tiny", new IdMap(["u0", "u1"]), new IdMap(["i0", "i1", "i2"]),
            [new(0, 0, 3, 1), new(0, 1, 5, 1), new(0, 2, 5, 2), new(1, 0, 4, 1)],
            new Dictionary<int, ItemInfo> { [0] = Movie("i0", "Alien"), [1] = Movie("i1", "Heat"), [2] = Movie("i2", "Up") });
        var existing = new Dictionary<string, string> { ["u1"] = "has one" };
        var itemTexts = new Dictionary<string, string> { ["i2"] = "Balloons." };

        var subject = Assert.Single(AugmentationInputs.ProfileSubjects(data, [0, 1], historyItems: 2, existing, itemTexts));

        Assert.Equal("u0", subject.UserId);
        // 5 stars twice: the later first; the 3-star item is past the two asked for.
        Assert.Equal(["i2", "i1"], subject.History.Select(i => i.ExternalId));
        Assert.Equal("Balloons.", subject.History[0].Description);
    }
}
