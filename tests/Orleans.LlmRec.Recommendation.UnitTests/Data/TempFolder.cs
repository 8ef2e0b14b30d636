using System.Text;

namespace Orleans.LlmRec.Recommendation.UnitTests.Data;

/// <summary>A fresh folder for one test's fixture files, deleted afterwards.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "llmrec-data-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    /// <summary>Writes text exactly as given (line ends included), UTF-8 without a byte-order mark.</summary>
    public string Write(string name, string text) => Write(name, text, new UTF8Encoding(false));

    public string Write(string name, string text, Encoding encoding)
    {
        var file = System.IO.Path.Combine(Path, name);
        File.WriteAllBytes(file, encoding.GetBytes(text));
        return file;
    }

    /// <summary>Writes lines joined by CRLF with a final CRLF, as the MovieLens CSV releases do.</summary>
    public string WriteCrlf(string name, params string[] lines) => Write(name, string.Join("\r\n", lines) + "\r\n");

    public string WriteLf(string name, params string[] lines) => Write(name, string.Join("\n", lines) + "\n");

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless; failing the test over it would hide the real result.
        }
    }
}
