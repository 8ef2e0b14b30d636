using System.Text;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>Tiny copies of the MovieLens layouts, written the way the real releases are (line ends, encodings).</summary>
internal static class MovieLensFixtures
{
    public static void WriteLatestSmall(TempFolder folder, bool withTags = true, bool withLinks = true)
    {
        folder.WriteCrlf("ratings.csv",
            "userId,movieId,rating,timestamp",
            "1,11,4.0,964982703",
            "1,3,0.5,964981247",
            "7,3,5.0,964982224",
            "7,29,3.5,964983815");
        folder.WriteCrlf("movies.csv",
            "movieId,title,genres",
            "3,Grumpier Old Men (1995),Comedy|Romance",
            "11,\"American President, The (1995)\",Comedy|Drama|Romance",
            "29,\"City of Lost Children, The (Cité des enfants perdus, La) (1995)\",Adventure|Fantasy",
            "171749,Death Note: Desu nôto (2006–2007),(no genres listed)",
            "140956,Ready Player One ,Action|Sci-Fi");
        if (withTags)
        {
            folder.WriteCrlf("tags.csv",
                "userId,movieId,tag,timestamp",
                "2,11,politics,1445714994",
                "2,11,Funny,1445714996",
                "5,11,funny,1445714992",
                "6,11,FUNNY ,1445714992",
                "2,29,\"dark\r\nsurreal\",1445715207",
                "2,999,not in the catalogue,1445715207");
        }
        if (withLinks)
        {
            folder.WriteCrlf("links.csv",
                "movieId,imdbId,tmdbId",
                "3,0113228,15602",
                "11,0112346,",
                "29,0112682,902");
        }
    }

    public static string GenreFlags(params int[] set)
    {
        var flags = new string[19];
        for (var g = 0; g < flags.Length; g++)
        {
            flags[g] = set.Contains(g) ? "1" : "0";
        }
        return string.Join("|", flags);
    }

    public static void Write100K(TempFolder folder, bool withGenreFile = true)
    {
        folder.WriteLf("u.data",
            "196\t242\t3\t881250949",
            "186\t302\t3\t891717742",
            "196\t1322\t5\t881251949");
        // 0xE9 is 'é' in Latin-1 and an invalid byte in UTF-8: decoding with the wrong encoding shows.
        folder.Write("u.item", string.Join("\n",
            $"242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|{GenreFlags(5)}",
            $"302|L.A. Confidential (1997)|01-Jan-1997||http://us.imdb.com/M/title-exact?L%2EA%2E+Confidential+(1997)|{GenreFlags(6, 10, 13, 16)}",
            $"1322|Metisse (Café au Lait) (1993)|01-Jan-1993||http://us.imdb.com/Title?M%E9tisse+(1993)|{GenreFlags(5)}",
            $"267|unknown||||{GenreFlags(0)}",
            $"1682|Scream of Stone|08-Mar-1996||http://us.imdb.com/M/title-exact?Schrei%20aus%20Stein%20(1991)|{GenreFlags(8)}") + "\n",
            Encoding.Latin1);
        if (withGenreFile)
        {
            folder.WriteLf("u.genre",
                "unknown|0", "Action|1", "Adventure|2", "Animation|3", "Children's|4", "Comedy|5", "Crime|6", "Documentary|7",
                "Drama|8", "Fantasy|9", "Film-Noir|10", "Horror|11", "Musical|12", "Mystery|13", "Romance|14", "Sci-Fi|15",
                "Thriller|16", "War|17", "Western|18", "");
        }
    }

    public static void Write1M(TempFolder folder)
    {
        folder.WriteLf("ratings.dat",
            "1::1193::5::978300760",
            "1::661::3::978302109",
            "2::1193::4::978298413");
        folder.Write("movies.dat", string.Join("\n",
            "1::Toy Story (1995)::Animation|Children's|Comedy",
            "661::James and the Giant Peach (1996)::Animation|Children's|Musical",
            "1193::One Flew Over the Cuckoo's Nest (1975)::Drama",
            "3171::Room at the Top (1959)::Drama",
            "2905::Sanjuro (1962)::Action|Adventure",
            "1848::Borrowers, The (1997)::Adventure|Children's|Comedy|Fantasy",
            "3224::Woman in the Dunes (Suna no onna) (1964)::Drama",
            "26::Othello (1995)::Drama",
            "1450::Prisoner of the Mountains (Kavkazsky Plennik) (1996)::War",
            "3679::Décline of Western Civilization, The (1981)::Documentary") + "\n",
            Encoding.Latin1);
    }
}
