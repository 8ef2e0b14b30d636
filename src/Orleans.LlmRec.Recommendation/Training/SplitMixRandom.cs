namespace Orleans.LlmRec.Recommendation.Training;

/// <summary>
/// A small, fast generator (SplitMix64) whose stream is fixed by its seed on every runtime and platform, unlike
/// <see cref="System.Random"/>'s unseeded algorithm. Trainers derive one stream per (seed, epoch, batch) so that
/// parallel work draws the same numbers however threads are scheduled.
/// </summary>
internal struct SplitMixRandom
{
    private ulong _state;

    public SplitMixRandom(ulong seed) => _state = seed;

    /// <summary>A stream for one unit of work: distinct (seed, a, b) give independent-looking streams.</summary>
    public static SplitMixRandom ForStream(int seed, long a = 0, long b = 0)
    {
        var mixer = new SplitMixRandom(unchecked((ulong)seed * 0x9E3779B97F4A7C15UL));
        var state = mixer.NextUInt64();
        state ^= new SplitMixRandom(unchecked(state + (ulong)a * 0xD1B54A32D192ED03UL)).NextUInt64();
        state ^= new SplitMixRandom(unchecked(state + (ulong)b * 0xABC98388FB8FAC03UL)).NextUInt64();
        return new SplitMixRandom(state);
    }

    public ulong NextUInt64()
    {
        var z = unchecked(_state += 0x9E3779B97F4A7C15UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, bound). Lemire's multiply-shift; its bias is below 2^-32 for the bounds we use.</summary>
    public int NextInt(int bound) => (int)(((NextUInt64() >> 32) * (ulong)(uint)bound) >> 32);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Standard normal (Box–Muller; the second value is discarded to keep the state a single word).</summary>
    public double NextGaussian()
    {
        var u1 = 1.0 - NextDouble();
        var u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="values"/> with N(0, std²) draws.</summary>
    public void FillGaussian(Span<float> values, double std)
    {
        for (var i = 0; i < values.Length; i++) values[i] = (float)(NextGaussian() * std);
    }
}
