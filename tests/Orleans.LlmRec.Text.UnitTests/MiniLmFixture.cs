namespace Orleans.LlmRec.Text.UnitTests;

/// <summary>One MiniLM per test run: loading it takes seconds and ~100 MB, so the tests share it.</summary>
public sealed class MiniLmFixture : IDisposable
{
    public MiniLmEmbeddingGenerator Encoder { get; } = new();

    public void Dispose() => Encoder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class MiniLmCollection : ICollectionFixture<MiniLmFixture>
{
    public const string Name = "MiniLM";
}
