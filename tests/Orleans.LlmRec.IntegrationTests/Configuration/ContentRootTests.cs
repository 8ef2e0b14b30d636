using System.Globalization;
using Orleans.LlmRec.IntegrationTests.Infrastructure;
using Orleans.LlmRec.Silo.Hosting;

namespace Orleans.LlmRec.IntegrationTests.Configuration;

/// <summary>The silo reads the appsettings.json next to it, whatever folder it is started from.</summary>
public class ContentRootTests
{
    [Fact]
    public void The_content_root_is_the_applications_folder_unless_one_is_given()
    {
        Assert.Equal(AppContext.BaseDirectory, ServiceHost.Options([]).ContentRootPath);
        Assert.Equal("/srv/llmrec", ServiceHost.Options(["--contentRoot=/srv/llmrec"]).ContentRootPath);
    }

    /// <summary>
    /// appsettings.json sets Orleans' log level to Warning; a silo that did not read it would log Orleans at
    /// Information (the framework's default), as the published silo did when started from another folder.
    /// </summary>
    [Fact]
    public async Task A_silo_started_from_another_folder_reads_its_appsettings()
    {
        var elsewhere = Directory.CreateTempSubdirectory("llmrec-cwd-").FullName;
        try
        {
            var ports = FreePorts.Take(3);
            await using var silo = await SiloProcess.StartAsync("elsewhere", ports[0], new Dictionary<string, string>
            {
                ["Silo:SiloPort"] = ports[1].ToString(CultureInfo.InvariantCulture),
                ["Silo:GatewayPort"] = ports[2].ToString(CultureInfo.InvariantCulture),
                ["Catalogue:SyntheticUsers"] = "50",
                ["Catalogue:SyntheticItems"] = "100",
                ["Model:Kind"] = "pop",
            }, TimeSpan.FromSeconds(60), workingDirectory: elsewhere);

            var output = silo.RecentOutput;
            Assert.Contains("Application started", output, StringComparison.Ordinal);
            Assert.DoesNotContain("info: Orleans.", output, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(elsewhere, recursive: true);
        }
    }
}
