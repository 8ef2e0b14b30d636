namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// Derives independent, reproducible seeds (per epoch, per block) from one user-given seed, so parallel work
/// can draw random numbers without sharing a generator and the result does not depend on which thread ran first.
/// </summary>
internal static class SeedMixer
{
    /// <summary>A 31-bit seed that depends on every part; SplitMix64's finaliser spreads small differences.</summary>
    public static int Derive(int seed, int part1, int part2 = 0)
    {
        var state = (ulong)(uint)seed;
        state = Mix(state ^ ((ulong)(uint)part1 << 21));
        state = Mix(state ^ ((ulong)(uint)part2 << 42) ^ (ulong)(uint)part2);
        return (int)(state & int.MaxValue);
    }

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Fills <paramref name="values"/> with N(0, std²) draws (Box–Muller), in index order.</summary>
    public static void FillGaussian(Span<float> values, Random random, double std)
    {
        for (var k = 0; k < values.Length; k += 2)
        {
            // 1 - NextDouble() lies in (0, 1], so the logarithm is finite.
            var radius = Math.Sqrt(-2.0 * Math.Log(1.0 - random.NextDouble())) * std;
            var angle = 2.0 * Math.PI * random.NextDouble();
            values[k] = (float)(radius * Math.Cos(angle));
            if (k + 1 < values.Length)
            {
                values[k + 1] = (float)(radius * Math.Sin(angle));
            }
        }
    }
}
