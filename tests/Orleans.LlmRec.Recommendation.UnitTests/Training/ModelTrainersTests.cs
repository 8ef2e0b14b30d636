using Orleans.LlmRec.Recommendation.Data;
using Orleans.LlmRec.Recommendation.Models;
using Orleans.LlmRec.Recommendation.Training;

namespace Orleans.LlmRec.Recommendation.UnitTests.Training;

public class ModelTrainersTests
{
    private static TrainerOptions OptionsOf(IModelTrainer trainer) => trainer switch
    {
        SvdTrainer t => t.Options,
        SvdPlusPlusTrainer t => t.Options,
        BprTrainer t => t.Options,
        LightGcnTrainer t => t.Options,
        GfCfTrainer t => t.Options,
        _ => throw new ArgumentException($"No options on {trainer.GetType().Name}."),
    };

    public static TheoryData<ModelKind> PersonalisedKinds => [.. ModelTrainers.PersonalisedKinds];

    [Theory]
    [MemberData(nameof(PersonalisedKinds))]
    public void Settings_set_the_same_named_hyper_parameters_on_every_trainer(ModelKind kind)
    {
        var settings = new TrainerSettings { Seed = 7, Factors = 3, Epochs = 2, LearningRate = 0.03, Regularization = 0.04 };

        var trainer = ModelTrainers.Create(kind, settings);
        var options = OptionsOf(trainer);

        Assert.Equal(kind, trainer.Kind);
        Assert.Equal((7, 3, 2, 0.03, 0.04), (options.Seed, options.Factors, options.Epochs, options.LearningRate, options.Regularization));
    }

    [Fact]
    public void Unset_settings_keep_each_trainers_tuned_defaults()
    {
        Assert.Equal(new SvdOptions(), ((SvdTrainer)ModelTrainers.Create(ModelKind.Svd)).Options);
        Assert.Equal(new SvdPlusPlusOptions(), ((SvdPlusPlusTrainer)ModelTrainers.Create(ModelKind.SvdPlusPlus)).Options);
        Assert.Equal(new BprOptions(), ((BprTrainer)ModelTrainers.Create(ModelKind.Bpr)).Options);
        Assert.Equal(new LightGcnOptions(), ((LightGcnTrainer)ModelTrainers.Create(ModelKind.LightGcn)).Options);
        Assert.IsType<PopularityTrainer>(ModelTrainers.Create(ModelKind.Popularity, new TrainerSettings { Factors = 3 }));
    }

    [Fact]
    public void The_tuned_defaults_are_the_values_the_published_results_were_trained_with()
    {
        // The pairwise trainers compute in float: their double settings must round to the float literals they had.
        var bpr = new BprOptions();
        Assert.Equal((64, 600, 0.01f, 0.02f, 256, 0.01f), (bpr.Factors, bpr.Epochs, (float)bpr.LearningRate, (float)bpr.Regularization, bpr.BatchSize, bpr.InitStd));
        var lightGcn = new LightGcnOptions();
        Assert.Equal((128, 300, 0.005f, 1e-3f, (int?)null, 4692, 0.1f, 3, 0.1), (lightGcn.Factors, lightGcn.Epochs, (float)lightGcn.LearningRate,
            (float)lightGcn.Regularization, lightGcn.BatchSize, lightGcn.BatchSizeFor(75_066), lightGcn.InitStd, lightGcn.Layers, lightGcn.ValidationFraction));
        var svd = new SvdOptions();
        Assert.Equal((100, 40, 0.01, 0.1, 42), (svd.Factors, svd.Epochs, svd.LearningRate, svd.Regularization, svd.Seed));
        Assert.Equal(20, new SvdPlusPlusOptions().Factors);
    }

    [Fact]
    public void Layers_validation_fraction_and_batch_size_reach_the_trainers_that_have_them()
    {
        var settings = new TrainerSettings { Layers = 1, ValidationFraction = 0, BatchSize = 32 };

        var lightGcn = ((LightGcnTrainer)ModelTrainers.Create(ModelKind.LightGcn, settings)).Options;
        var bpr = ((BprTrainer)ModelTrainers.Create(ModelKind.Bpr, settings)).Options;

        Assert.Equal((1, 0.0, 32), (lightGcn.Layers, lightGcn.ValidationFraction, lightGcn.BatchSize));
        Assert.Equal(32, bpr.BatchSize);
    }

    [Fact]
    public void An_invalid_setting_is_refused_under_its_shared_name()
    {
        var data = new RatingsDataset("tiny", new IdMap(["u"]), new IdMap(["a", "b"]), [new Interaction(0, 0, 1, 0)]);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => ModelTrainers.Create(ModelKind.LightGcn, new TrainerSettings { Regularization = -1 }).Train(data));

        Assert.Equal(nameof(TrainerOptions.Regularization), error.ParamName);
    }
}
