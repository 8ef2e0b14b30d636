using System.ComponentModel.DataAnnotations;
using Microsoft.ML.OnnxRuntime;

namespace Orleans.LlmRec.Scoring;

/// <summary>Where ONNX Runtime runs the scoring graphs.</summary>
public enum ScoringExecutionProvider
{
    Cpu,

    /// <summary>CUDA when the ONNX Runtime build has it (the <c>OnnxRuntimeGpu</c> build); otherwise CPU, with a warning.</summary>
    Cuda,
}

/// <summary>
/// How <see cref="OnnxScorer"/> builds its sessions and batches requests (configuration section <c>Scoring</c>).
/// Checked with DataAnnotations like every section; <see cref="OnnxScorer.Load"/> refuses options that fail.
/// </summary>
public sealed class ScorerOptions : IValidatableObject
{
    public const string SectionName = "Scoring";

    /// <summary>Threads one inference may use; 0 lets ONNX Runtime choose (one per physical core).</summary>
    [Range(0, 1_024, ErrorMessage = "Scoring:IntraOpThreads must lie in [0, 1024].")]
    public int IntraOpThreads { get; set; }

    /// <summary>Threads for running independent graph nodes in parallel; 0 lets ONNX Runtime choose.</summary>
    [Range(0, 1_024, ErrorMessage = "Scoring:InterOpThreads must lie in [0, 1024].")]
    public int InterOpThreads { get; set; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op worker threads spin while waiting for work. Off by default: on a silo whose
    /// cores also serve HTTP and grains, spinning workers steal the core a request needs, which shows in the tail
    /// latency of single-user scoring (bench/RESULTS.md).
    /// </summary>
    public bool AllowSpinning { get; set; }

    /// <summary>
    /// Whether full-catalogue requests use the model's serving graph (<c>x.scores.onnx</c>, scoring contract 2) when
    /// it is there: one MatMul in ONNX Runtime, then exclusions, user bias and top-k in vectorised managed code, faster
    /// per user in batches on CPU than the full-catalogue graph's in-graph mask and TopK. Off, or without the file
    /// (contract 1 exports), the full-catalogue graph serves; results are the same either way. Null (the default)
    /// decides by where the model runs: on for CPU, off for CUDA, where copying every score back to the host for a
    /// managed top-k is slower than the in-graph TopK (bench/RESULTS.md).
    /// </summary>
    public bool? UseItemScoresGraph { get; set; }

    public GraphOptimizationLevel GraphOptimizationLevel { get; set; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    public ScoringExecutionProvider ExecutionProvider { get; set; } = ScoringExecutionProvider.Cpu;

    [Range(0, 64, ErrorMessage = "Scoring:CudaDeviceId must lie in [0, 64].")]
    public int CudaDeviceId { get; set; }

    /// <summary>
    /// Whether CUDA may run the float matrix product on TF32 tensor cores (10 mantissa bits instead of 23). Off by
    /// default: ONNX Runtime turns it on, and the exported contract promises scores equal to the C# reference within
    /// 1e-5 relative, which TF32 cannot keep. Turn it on for throughput when near-ties may swap places.
    /// </summary>
    public bool CudaUseTf32 { get; set; }

    /// <summary>The most requests one inference run scores together.</summary>
    [Range(1, 4_096, ErrorMessage = "Scoring:MaxBatchSize must lie in [1, 4096].")]
    public int MaxBatchSize { get; set; } = 64;

    /// <summary>
    /// How long a batch that is not yet full waits for more requests after its first one arrived. Zero (the default)
    /// batches what is queued when a batch starts, and requests that arrive while it runs form the next one, so batches
    /// still grow with load. A wait only pays where requests arrive spread out and inference runs are dear (a GPU):
    /// on CPU it adds its own length to the tail latency of every feed and lowers the re-scored feeds per second
    /// (bench/RESULTS.md).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "Scoring:MaxBatchWait must lie in [00:00:00, 00:01:00].")]
    public TimeSpan MaxBatchWait { get; set; } = TimeSpan.Zero;

    /// <summary>Requests that may wait for a batch; callers beyond that wait to enqueue (back-pressure).</summary>
    [Range(1, 1_000_000, ErrorMessage = "Scoring:QueueCapacity must lie in [1, 1000000].")]
    public int QueueCapacity { get; set; } = 4096;

    /// <summary>Batches run at the same time (each on its own buffers); sessions are shared and thread-safe.</summary>
    [Range(1, 64, ErrorMessage = "Scoring:ConcurrentBatches must lie in [1, 64].")]
    public int ConcurrentBatches { get; set; } = 1;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        // A full batch must fit in the queue, or the batcher would wait for requests that can never be enqueued.
        if (QueueCapacity < MaxBatchSize)
        {
            yield return new ValidationResult(
                $"Scoring:QueueCapacity ({QueueCapacity}) must not be below Scoring:MaxBatchSize ({MaxBatchSize}).", [nameof(QueueCapacity)]);
        }
    }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first setting the checks above refuse.</summary>
    internal void ThrowIfInvalid()
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(this, new ValidationContext(this), results, validateAllProperties: true))
        {
            var first = results[0];
            throw new ArgumentOutOfRangeException(first.MemberNames.FirstOrDefault(), first.ErrorMessage);
        }
    }
}

/// <summary>
/// What the serving side knows a model must match: the item catalogue it maps indexes back to ids with.
/// A file that disagrees is refused at load, so a model trained on another catalogue can never be swapped in unnoticed.
/// </summary>
public sealed record ModelExpectation
{
    public int? ItemCount { get; init; }
    public string? ItemIdChecksum { get; init; }
    public int? Dimension { get; init; }
}

/// <summary>A model file the scorer refuses to serve: unreadable, truncated, not a scoring graph, or not the expected one.</summary>
public sealed class ScoringModelException : Exception
{
    public ScoringModelException(string path, string reason, Exception? innerException = null)
        : base($"Refusing scoring model '{path}': {reason}", innerException)
    {
        ModelPath = path;
        Reason = reason;
    }

    public string ModelPath { get; }
    public string Reason { get; }
}

/// <summary>Counters since the scorer started.</summary>
public readonly record struct ScorerStatistics(long Requests, long Batches, int LargestBatch, long Swaps);
