using Orleans.LlmRec.Recommendation.Models;

namespace Orleans.LlmRec.Recommendation.UnitTests.Models;

public class ModelKindNamesTests
{
    [Fact]
    public void The_list_names_every_kind_once_in_declaration_order()
    {
        Assert.Equal("pop, svd, svdpp, bpr, lightgcn, gfcf", ModelKindNames.List);
    }

    [Fact]
    public void Every_listed_name_parses_back_to_its_kind()
    {
        var names = ModelKindNames.List.Split(", ");

        Assert.Equal(Enum.GetValues<ModelKind>(), names.Select(n => ModelKindNames.TryParse(n, out var kind) ? kind : throw new InvalidOperationException(n)));
    }
}
