using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Orleans.LlmRec.Benchmarks;

/// <summary>
/// The physical floor the scoring engines are held to, measured on this machine: streaming-read bandwidth at the
/// sizes that matter (an L2-sized buffer, the 9,742- and 100,000-item tables, and a buffer far beyond the 32 MiB L3
/// for DRAM), and floating-point throughput (fused multiply-adds kept in registers = the core's peak, then the
/// TensorPrimitives kernels on L1-resident data = what loads allow).
/// </summary>
public static class BandwidthRun
{
    private const int Trials = 7;
    private const double TrialSeconds = 0.15;

    /// <summary>Usage: <c>bandwidth [--threads N[,N]] [--dram-mib N]</c>.</summary>
    public static int Run(string[] args)
    {
        var threadCounts = Arguments.IntList(args, "--threads", [1, 2]);
        var dramMiB = Arguments.Int(args, "--dram-mib", 1024);
        Console.WriteLine($"# Vector512 accelerated: {Vector512.IsHardwareAccelerated}, Fma: {System.Runtime.Intrinsics.X86.Fma.IsSupported}, Avx512F: {System.Runtime.Intrinsics.X86.Avx512F.IsSupported}");
        Console.WriteLine($"# load average before: {Machine.LoadAverage()}");
        Console.WriteLine();
        Console.WriteLine($"## Streaming read (Vector512 loads, 8 accumulators), best and median of {Trials} trials");
        Console.WriteLine();
        Console.WriteLine("| buffer | bytes | threads | best GB/s | median GB/s |");
        Console.WriteLine("| --- | ---: | ---: | ---: | ---: |");
        var sizes = new (string Name, long Bytes)[]
        {
            ("L2-sized (256 KiB)", 256L << 10),
            ("9,742-item table", (long)BenchmarkCatalogue.MovieLensSmallItems * (BenchmarkCatalogue.Dimension + 1) * sizeof(float)),
            ("100,000-item table", (long)BenchmarkCatalogue.LargeItems * (BenchmarkCatalogue.Dimension + 1) * sizeof(float)),
            ($"DRAM ({dramMiB} MiB)", (long)dramMiB << 20),
        };
        foreach (var (name, bytes) in sizes)
        {
            // Rounded to whole 512-byte blocks per thread; filled, so every page is really mapped.
            var floats = (int)(bytes / sizeof(float) / 256 * 256);
            var buffer = GC.AllocateUninitializedArray<float>(floats, pinned: true);
            buffer.AsSpan().Fill(1f);
            foreach (var threads in threadCounts)
            {
                var (best, median) = MeasureRead(buffer, threads);
                Console.WriteLine($"| {name} | {(long)floats * sizeof(float):N0} | {threads} | {best:F1} | {median:F1} |");
            }
        }
        Console.WriteLine();
        Console.WriteLine($"## Floating-point throughput, best and median of {Trials} trials");
        Console.WriteLine();
        Console.WriteLine("| kernel | threads | best GFLOP/s | median GFLOP/s |");
        Console.WriteLine("| --- | ---: | ---: | ---: |");
        var impliedClock = new List<string>();
        foreach (var threads in threadCounts)
        {
            var peak = MeasureFlops(threads, RegisterFma);
            PrintFlops("Vector512 FMA, 12 chains in registers (peak)", threads, peak);
            impliedClock.Add(string.Create(CultureInfo.InvariantCulture, $"{peak.Best / PeakFlopsPerCycle / threads:F2} GHz with {threads} thread(s)"));
            PrintFlops("TensorPrimitives.Dot, 2 × 4 KiB in L1", threads, MeasureFlops(threads, DotInL1));
            PrintFlops("TensorPrimitives.MultiplyAdd, 2 KiB in place in L1", threads, MeasureFlops(threads, MultiplyAddInL1));
        }
        Console.WriteLine();
        Console.WriteLine($"# clock implied by the peak kernel at {PeakFlopsPerCycle} FLOP/cycle/core: {string.Join(", ", impliedClock)}");
        Console.WriteLine($"# load average after: {Machine.LoadAverage()}");
        return 0;
    }

    /// <summary>
    /// Zen 5 (family 0x1A) has two 512-bit FMA pipes: 2 × 16 float lanes × 2 FLOP (multiply and add) per cycle.
    /// Dividing the measured peak by it gives the clock the core really ran at.
    /// </summary>
    private const double PeakFlopsPerCycle = 64;

    private static void PrintFlops(string kernel, int threads, (double Best, double Median) gflops) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kernel} | {threads} | {gflops.Best:F1} | {gflops.Median:F1} |"));

    private static (double Best, double Median) MeasureRead(float[] buffer, int threads)
    {
        var bytes = (long)buffer.Length * sizeof(float);
        // Enough passes that one trial lasts about TrialSeconds at ~20 GB/s, at least one.
        var passes = (int)Math.Max(1, 20e9 * TrialSeconds / bytes);
        var rates = new double[Trials];
        var sink = 0f;
        for (var trial = -1; trial < Trials; trial++)
        {
            var started = Stopwatch.GetTimestamp();
            var partial = new float[threads];
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part =>
            {
                var chunk = buffer.Length / threads / 256 * 256;
                var slice = buffer.AsSpan(part * chunk, part == threads - 1 ? buffer.Length - part * chunk : chunk);
                var sum = 0f;
                for (var p = 0; p < passes; p++) sum += ReadAll(slice);
                partial[part] = sum;
            });
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            sink += partial.Sum();
            // Trial -1 is a warm-up (brings the buffer into cache where it fits, starts the workers).
            if (trial >= 0) rates[trial] = bytes * (double)passes / seconds / 1e9;
        }
        GC.KeepAlive(sink);
        return Summarise(rates);
    }

    /// <summary>Sums the buffer with eight independent accumulators so that the loads, not the adds, set the pace.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static float ReadAll(ReadOnlySpan<float> data)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default, a6 = default, a7 = default;
        nuint i = 0;
        var end = (nuint)data.Length - 127;
        for (; i < end; i += 128)
        {
            a0 += Vector512.LoadUnsafe(ref start, i);
            a1 += Vector512.LoadUnsafe(ref start, i + 16);
            a2 += Vector512.LoadUnsafe(ref start, i + 32);
            a3 += Vector512.LoadUnsafe(ref start, i + 48);
            a4 += Vector512.LoadUnsafe(ref start, i + 64);
            a5 += Vector512.LoadUnsafe(ref start, i + 80);
            a6 += Vector512.LoadUnsafe(ref start, i + 96);
            a7 += Vector512.LoadUnsafe(ref start, i + 112);
        }
        var sum = Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7);
        for (; i < (nuint)data.Length; i++) sum += Unsafe.Add(ref start, i);
        return sum;
    }

    private static (double Best, double Median) MeasureFlops(int threads, Func<long, double> kernel)
    {
        // Calibrate: iterations for about TrialSeconds on one thread.
        var iterations = 1_000L;
        while (true)
        {
            var started = Stopwatch.GetTimestamp();
            kernel(iterations);
            if (Stopwatch.GetElapsedTime(started).TotalSeconds > TrialSeconds / 4) break;
            iterations *= 2;
        }
        iterations *= 4;
        var rates = new double[Trials];
        for (var trial = -1; trial < Trials; trial++)
        {
            var flops = new double[threads];
            var started = Stopwatch.GetTimestamp();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, part => flops[part] = kernel(iterations));
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            if (trial >= 0) rates[trial] = flops.Sum() / seconds / 1e9;
        }
        return Summarise(rates);
    }

    /// <summary>Twelve independent FMA chains: enough to cover FMA latency × FMA pipes, so only throughput limits it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double RegisterFma(long iterations)
    {
        var m = Vector512.Create(0.9999999f);
        var c = Vector512.Create(1e-7f);
        var a0 = Vector512.Create(1.00f); var a1 = Vector512.Create(1.01f); var a2 = Vector512.Create(1.02f); var a3 = Vector512.Create(1.03f);
        var a4 = Vector512.Create(1.04f); var a5 = Vector512.Create(1.05f); var a6 = Vector512.Create(1.06f); var a7 = Vector512.Create(1.07f);
        var a8 = Vector512.Create(1.08f); var a9 = Vector512.Create(1.09f); var a10 = Vector512.Create(1.10f); var a11 = Vector512.Create(1.11f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, c); a1 = Vector512.FusedMultiplyAdd(a1, m, c);
            a2 = Vector512.FusedMultiplyAdd(a2, m, c); a3 = Vector512.FusedMultiplyAdd(a3, m, c);
            a4 = Vector512.FusedMultiplyAdd(a4, m, c); a5 = Vector512.FusedMultiplyAdd(a5, m, c);
            a6 = Vector512.FusedMultiplyAdd(a6, m, c); a7 = Vector512.FusedMultiplyAdd(a7, m, c);
            a8 = Vector512.FusedMultiplyAdd(a8, m, c); a9 = Vector512.FusedMultiplyAdd(a9, m, c);
            a10 = Vector512.FusedMultiplyAdd(a10, m, c); a11 = Vector512.FusedMultiplyAdd(a11, m, c);
        }
        var total = Vector512.Sum(a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11);
        // Consumed so the loop cannot be dropped; a finite total is all it can be.
        return float.IsFinite(total) ? iterations * 12.0 * Vector512<float>.Count * 2 : 0;
    }

    [ThreadStatic] private static float[]? _x;
    [ThreadStatic] private static float[]? _y;

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double DotInL1(long iterations)
    {
        const int length = 1024;
        var x = _x ??= Enumerable.Range(0, length).Select(i => 1f / (i + 1)).ToArray();
        var y = _y ??= Enumerable.Range(0, length).Select(i => 1f - 1f / (i + 2)).ToArray();
        var sum = 0f;
        for (long i = 0; i < iterations; i++) sum += TensorPrimitives.Dot<float>(x.AsSpan(0, length), y.AsSpan(0, length));
        return float.IsFinite(sum) ? iterations * 2.0 * length : 0;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double MultiplyAddInL1(long iterations)
    {
        // The baseline's inner step: one tile row of DotProductScorer.TileWidth items times one user coordinate.
        const int length = DotProductScorer.TileWidth;
        var x = _x ??= Enumerable.Range(0, 1024).Select(i => 1f / (i + 1)).ToArray();
        var row = _y ??= Enumerable.Range(0, 1024).Select(i => 1f - 1f / (i + 2)).ToArray();
        for (long i = 0; i < iterations; i++) TensorPrimitives.MultiplyAdd(x.AsSpan(0, length), -1e-9f, row.AsSpan(0, length), row.AsSpan(0, length));
        return float.IsFinite(row[0]) ? iterations * 2.0 * length : 0;
    }

    private static (double Best, double Median) Summarise(double[] rates)
    {
        Array.Sort(rates);
        return (rates[^1], rates[rates.Length / 2]);
    }
}
