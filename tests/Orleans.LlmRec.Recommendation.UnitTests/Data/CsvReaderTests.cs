using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

public class CsvReaderTests
{
    private static List<(int Line, string[] Fields)> ReadAll(string text, char separator = ',')
    {
        using var reader = new CsvReader(new StringReader(text), "test.csv", separator);
        var records = new List<(int, string[])>();
        while (reader.Read())
        {
            records.Add((reader.Line, reader.Fields.ToArray()));
        }
        return records;
    }

    // Arrays compare by reference, so records are compared as "line: [field][field]".
    private static string[] Show(IEnumerable<(int Line, string[] Fields)> records) =>
        records.Select(r => $"{r.Line}: " + string.Concat(r.Fields.Select(f => $"[{f}]"))).ToArray();

    [Fact]
    public void ReadsQuotedFieldsWithSeparatorsQuotesAndLineBreaks()
    {
        var records = ReadAll("id,text\r\n1,\"a, b\"\r\n2,\"he said \"\"hi\"\"\"\r\n3,\"two\r\nlines\"\r\n4,\"lf\nonly\",x\r\n5,end");

        Assert.Equal(
            [
                "1: [id][text]",
                "2: [1][a, b]",
                "3: [2][he said \"hi\"]",
                "4: [3][two\r\nlines]",
                "6: [4][lf\nonly][x]",
                "8: [5][end]",
            ],
            Show(records));
    }

    [Fact]
    public void HandlesLfAndBareCrLineEndsEmptyFieldsAndBlankLines()
    {
        var records = ReadAll("a,,c\n\n,b,\r\rlast,\"\"\n");

        Assert.Equal(["1: [a][][c]", "3: [][b][]", "5: [last][]"], Show(records));
    }

    [Fact]
    public void KeepsAQuoteInsideAnUnquotedField()
    {
        var records = ReadAll("5'10\" tall,x\n");

        Assert.Equal(["5'10\" tall", "x"], records.Single().Fields);
    }

    [Fact]
    public void ReadsOtherSeparators()
    {
        var records = ReadAll("1\t\"a\tb\"\t3\n", '\t');

        Assert.Equal(["1", "a\tb", "3"], records.Single().Fields);
    }

    [Fact]
    public void ReadsFieldsLongerThanItsBuffer()
    {
        // Quotes and line breaks straddle the reader's 64K buffer boundary somewhere in this field.
        var chunk = "ab\"\"c\r\nd,";
        var body = string.Concat(Enumerable.Repeat(chunk, 20_000));
        var expected = body.Replace("\"\"", "\"", StringComparison.Ordinal);
        var records = ReadAll($"x,\"{body}\"\r\nnext,1\r\n");

        Assert.Equal(2, records.Count);
        Assert.Equal(expected, records[0].Fields[1]);
        Assert.Equal(20_002, records[1].Line);
        Assert.Equal(["next", "1"], records[1].Fields);
    }

    [Fact]
    public void UnclosedQuoteIsLocatedAtItsRecord()
    {
        var error = Assert.Throws<DataFormatException>(() => ReadAll("a,b\n1,\"open\n2,3\n"));

        Assert.Equal(2, error.Line);
        Assert.Equal("#2", error.Field);
        Assert.Contains("never closed", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("test.csv:2: field '#2':", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TextAfterAClosingQuoteIsAnError()
    {
        var error = Assert.Throws<DataFormatException>(() => ReadAll("a,b\n1,\"x\"y\n"));

        Assert.Equal(2, error.Line);
        Assert.Contains("after a closing quote", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NamesColumnsFromTheHeaderInErrors()
    {
        using var reader = new CsvReader(new StringReader("userId,rating\n7,abc\n"), "ratings.csv");
        reader.ReadHeader();
        var rating = reader.Column("rating");
        Assert.True(reader.Read());

        var error = Assert.Throws<DataFormatException>(() => reader.Single(rating, "rating"));

        Assert.Equal("ratings.csv:2: field 'rating': 'abc' is not a number", error.Message);
        Assert.Equal("ratings.csv", error.FilePath);
        Assert.Equal(2, error.Line);
        Assert.Equal("rating", error.Field);
    }
}
