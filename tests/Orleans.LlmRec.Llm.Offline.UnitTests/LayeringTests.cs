using Orleans.LlmRec.Llm.Offline.Augmentation;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public class LayeringTests
{
    [Fact]
    public void The_llm_layer_the_silo_loads_does_not_reference_the_offline_project()
    {
        var offline = typeof(GraphAugmenter).Assembly.GetName().Name;

        Assert.DoesNotContain(typeof(LlmOptions).Assembly.GetReferencedAssemblies(), a => a.Name == offline);
        Assert.DoesNotContain(typeof(Recommendation.Data.RatingsDataset).Assembly.GetReferencedAssemblies(), a => a.Name == offline);
        Assert.Equal("Orleans.LlmRec.Llm.Offline", offline);
    }
}
