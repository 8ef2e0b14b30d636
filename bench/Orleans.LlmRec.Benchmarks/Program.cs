using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Orleans.LlmRec.Benchmarks;

// dotnet run -c Release --project bench/Orleans.LlmRec.Benchmarks -- [BenchmarkDotNet args | latency | bandwidth | profile | device | sweep | retrieval]
// Results and how to read them: bench/RESULTS.md.
switch (args.FirstOrDefault())
{
    case "latency":
        return await LatencyRun.RunAsync(args[1..]);
    case "bandwidth":
        return BandwidthRun.Run(args[1..]);
    case "profile":
        return ProfileRun.Run(args[1..]);
    case "device":
        return await DeviceRun.RunAsync(args[1..]);
    case "sweep":
        return await SweepRun.RunAsync(args[1..]);
    case "retrieval":
        return await RetrievalRun.RunAsync(args[1..]);
    case "retrieval-pairs":
        return RetrievalShardPairs.Run(args[1..]);
}

// In-process and short: the machine has two shared cores, and building a separate benchmark process per run would
// cost more than the measurements. Median and P95 are shown because other jobs on the machine inflate the mean.
var config = ManualConfig.Create(DefaultConfig.Instance)
    .AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("ShortRun-InProcess"))
    .AddColumn(StatisticColumn.Median, StatisticColumn.P95);
try
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(ScoringBenchmarks).Assembly).Run(args, config);
    return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
}
finally
{
    BenchmarkCatalogue.DeleteFiles();
}
