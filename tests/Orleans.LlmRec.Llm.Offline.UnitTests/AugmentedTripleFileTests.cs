using Orleans.LlmRec.Llm.Offline.Augmentation;

namespace Orleans.LlmRec.Llm.Offline.UnitTests;

public sealed class AugmentedTripleFileTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "llmrec-triples-" + Guid.NewGuid().ToString("N"));

    private static AugmentedTriple Triple(string user, string pos, string neg) =>
        new(user, pos, neg, "stub-model", new string('a', 64), new DateTimeOffset(2025, 3, 4, 5, 6, 7, TimeSpan.Zero));

    [Fact]
    public async Task Writes_and_reads_back_triples_with_their_provenance()
    {
        var path = Path.Combine(_directory, "sub", "augmented.jsonl");
        await using (var writer = AugmentedTripleFile.CreateWriter(path))
        {
            await writer.WriteAsync(Triple("u1", "10", "20"));
            await writer.WriteAsync(Triple("u2", "30", "40"));
            Assert.Equal(2, writer.Written);
        }

        var triples = await AugmentedTripleFile.ReadAllAsync(path);

        Assert.Equal([Triple("u1", "10", "20"), Triple("u2", "30", "40")], triples);
        Assert.StartsWith("{\"user\":\"u1\",\"pos\":\"10\",\"neg\":\"20\",\"model\":\"stub-model\"", (await File.ReadAllLinesAsync(path))[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Appending_keeps_earlier_runs()
    {
        var path = Path.Combine(_directory, "augmented.jsonl");
        await using (var first = AugmentedTripleFile.CreateWriter(path))
        {
            await first.WriteAsync(Triple("u1", "1", "2"));
        }
        await using (var second = AugmentedTripleFile.CreateWriter(path, append: true))
        {
            await second.WriteAsync(Triple("u2", "3", "4"));
        }

        Assert.Equal(["u1", "u2"], (await AugmentedTripleFile.ReadAllAsync(path)).Select(t => t.UserId));
    }

    [Theory]
    [InlineData("{\"user\":\"u1\",\"pos\":\"1\"")]
    [InlineData("{\"user\":\"u1\",\"pos\":\"1\",\"model\":\"m\",\"promptSha256\":\"h\",\"createdAt\":\"2025-01-01T00:00:00Z\"}")]
    [InlineData("{\"user\":\"u1\",\"pos\":\"1\",\"neg\":\"1\",\"model\":\"m\",\"promptSha256\":\"h\",\"createdAt\":\"2025-01-01T00:00:00Z\"}")]
    public async Task A_broken_line_is_reported_with_its_number(string brokenLine)
    {
        Directory.CreateDirectory(_directory);
        var path = Path.Combine(_directory, "broken.jsonl");
        var good = "{\"user\":\"u0\",\"pos\":\"1\",\"neg\":\"2\",\"model\":\"m\",\"promptSha256\":\"h\",\"createdAt\":\"2025-01-01T00:00:00Z\"}";
        await File.WriteAllTextAsync(path, good + "\n\n" + brokenLine + "\n");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => AugmentedTripleFile.ReadAllAsync(path));

        Assert.Contains("broken.jsonl:3", error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
