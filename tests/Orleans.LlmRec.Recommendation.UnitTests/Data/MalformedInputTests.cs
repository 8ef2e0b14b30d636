using System.Text;
using Orleans.LlmRec.Recommendation.Data;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>Every kind of bad input must name the file, the record's line and the column.</summary>
public class MalformedInputTests
{
    private static DataFormatException Fails(Action load, string file, int? line, string? field, string problem)
    {
        var error = Assert.Throws<DataFormatException>(load);
        Assert.Equal(file, Path.GetFileName(error.FilePath));
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith(line is null ? $"{file}: " : $"{file}:{line}: ", error.Message, StringComparison.Ordinal);
        return error;
    }

    private static void WriteMovies(TempFolder folder) =>
        folder.WriteCrlf("movies.csv", "movieId,title,genres", "1,Toy Story (1995),Comedy");

    [Fact]
    public void NonNumericRating()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,2,abc,964982703");
        WriteMovies(folder);

        var error = Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 3, "rating", "'abc' is not a number");
        Assert.Equal("ratings.csv:3: field 'rating': 'abc' is not a number", error.Message);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("5.5")]
    [InlineData("-1")]
    public void RatingOutOfRange(string rating)
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", $"1,1,{rating},964982703");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 2, "rating", "out of range [0.5, 5]");
    }

    [Theory]
    [InlineData("964982703000", "too large for Unix seconds (milliseconds?")]
    [InlineData("-100", "lies before 1970")]
    public void TimestampNotUnixSeconds(string timestamp, string problem)
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703", $"1,2,4.0,{timestamp}");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 3, "timestamp", problem);
    }

    [Fact]
    public void MissingField()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703", "1,2,4.0");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 3, "timestamp", "missing");
    }

    [Fact]
    public void EmptyIdentifier()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", " ,1,4.0,964982703");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 2, "userId", "is empty");
    }

    [Fact]
    public void WrongSeparatorInAHeaderedFile()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId;movieId;rating;timestamp", "1;1;4.0;964982703");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 1, "userId", "is the separator ','?");
    }

    [Fact]
    public void WrongSeparatorInATabSeparatedFile()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder);
        folder.WriteLf("u.data", "196,242,3,881250949");

        Fails(() => MovieLensLoader.Load100K(folder.Path), "u.data", 1, "item id", "is the separator tab?");
    }

    [Fact]
    public void EmptyFile()
    {
        using var folder = new TempFolder();
        folder.Write("ratings.csv", "");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", null, null, "file is empty");
    }

    [Fact]
    public void HeaderWithoutRatings()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", null, null, "contains no ratings");
    }

    [Fact]
    public void MissingFile()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703");

        var error = Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "movies.csv", null, null, "file not found");
        Assert.IsType<FileNotFoundException>(error.InnerException);
    }

    [Fact]
    public void LinesCountPhysicallyAcrossEmbeddedLineBreaks()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703");
        folder.WriteCrlf("movies.csv", "movieId,title,genres", "1,\"Toy\r\nStory (1995)\",Comedy", "2,Jumanji (1995)");

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "movies.csv", 4, "genres", "missing");
    }

    [Fact]
    public void DuplicateCatalogueId()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,rating,timestamp", "1,1,4.0,964982703");
        folder.WriteCrlf("movies.csv", "movieId,title,genres", "1,Toy Story (1995),Comedy", "1,Toy Story again (1995),Comedy");

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "movies.csv", 3, "movieId", "listed twice (first on line 2)");
    }

    [Fact]
    public void MissingHeaderColumn()
    {
        using var folder = new TempFolder();
        folder.WriteCrlf("ratings.csv", "userId,movieId,score,timestamp", "1,1,4.0,964982703");
        WriteMovies(folder);

        Fails(() => MovieLensLoader.LoadLatestSmall(folder.Path), "ratings.csv", 1, "rating", "header has no such column");
    }

    [Fact]
    public void BadGenreFlag()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder);
        folder.Write("u.item", $"242|Kolya (1996)|24-Jan-1997||http://x|{MovieLensFixtures.GenreFlags(5).Replace("1", "2", StringComparison.Ordinal)}\n", Encoding.Latin1);

        Fails(() => MovieLensLoader.Load100K(folder.Path), "u.item", 1, "genre Comedy", "'2' is not a 0/1 flag");
    }

    [Fact]
    public void TooFewGenreColumns()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write100K(folder);
        folder.Write("u.item", "242|Kolya (1996)|24-Jan-1997||http://x|0|0|0\n", Encoding.Latin1);

        Fails(() => MovieLensLoader.Load100K(folder.Path), "u.item", 1, "genre Animation", "missing");
    }

    [Fact]
    public void NonIntegerTimestampIn1M()
    {
        using var folder = new TempFolder();
        MovieLensFixtures.Write1M(folder);
        folder.WriteLf("ratings.dat", "1::1193::5::978300760", "1::661::3::soon");

        Fails(() => MovieLensLoader.Load1M(folder.Path), "ratings.dat", 2, "Timestamp", "'soon' is not an integer");
    }

    [Fact]
    public void PlainCsvBadValues()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("r.csv", "u1,i1,4,100", "u2,i2,4,yesterday");
        Fails(() => PlainCsvLoader.Load(path), "r.csv", 2, "timestamp", "neither Unix seconds nor an ISO 8601 date");

        folder.WriteLf("r.csv", "u1,i1,4", "u2,i2,NaN");
        Fails(() => PlainCsvLoader.Load(path), "r.csv", 2, "rating", "not a finite number");

        folder.WriteLf("r.csv", "u1;i1;4");
        Fails(() => PlainCsvLoader.Load(path), "r.csv", 1, "item", "is the separator ','?");

        folder.WriteLf("r.csv", "user,item,rating");
        Fails(() => PlainCsvLoader.Load(path), "r.csv", null, null, "only a header");
    }

    [Fact]
    public void UnterminatedQuoteInDescriptions()
    {
        using var folder = new TempFolder();
        var path = folder.WriteLf("descriptions.csv", "movieId,description", "1,fine", "2,\"never closed", "3,more");

        Fails(() => ItemTextLoader.ReadDescriptions(path), "descriptions.csv", 3, "description", "never closed");
    }
}
