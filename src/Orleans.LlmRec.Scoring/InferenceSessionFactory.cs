using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Orleans.LlmRec.Scoring;

/// <summary>
/// Opens ONNX Runtime sessions with the scorer's options, on CUDA when asked for and usable, else on the CPU.
/// </summary>
internal static class InferenceSessionFactory
{
    /// <summary>Opens <paramref name="path"/>; returns the session and the execution provider it runs on.</summary>
    /// <exception cref="ScoringModelException">The file is missing, or ONNX Runtime cannot load it.</exception>
    public static (InferenceSession Session, string Provider) OpenSession(string path, ScorerOptions options, ILogger logger)
    {
        if (!File.Exists(path)) throw new ScoringModelException(path, "the file does not exist.");
        var provider = ExecutionProviders.Cpu;
        using (var sessionOptions = CreateSessionOptions(options, logger, ref provider))
        {
            try
            {
                return (new InferenceSession(path, sessionOptions), provider);
            }
            catch (OnnxRuntimeException e) when (provider != ExecutionProviders.Cpu)
            {
                // A CUDA build on a machine without a usable GPU fails here rather than at AppendExecutionProvider_CUDA.
                Log.ProviderFailed(logger, provider, e.Message);
            }
            catch (OnnxRuntimeException e)
            {
                throw new ScoringModelException(path, $"ONNX Runtime cannot load it (malformed or truncated?): {e.Message}", e);
            }
        }
        var cpuOnly = new ScorerOptions
        {
            IntraOpThreads = options.IntraOpThreads,
            InterOpThreads = options.InterOpThreads,
            GraphOptimizationLevel = options.GraphOptimizationLevel,
            AllowSpinning = options.AllowSpinning,
        };
        return OpenSession(path, cpuOnly, logger);
    }

    private static SessionOptions CreateSessionOptions(ScorerOptions options, ILogger logger, ref string provider)
    {
        var sessionOptions = new SessionOptions
        {
            GraphOptimizationLevel = options.GraphOptimizationLevel,
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        sessionOptions.AddSessionConfigEntry("session.inter_op.allow_spinning", options.AllowSpinning ? "1" : "0");
        if (options.ExecutionProvider == ScoringExecutionProvider.Cuda)
        {
            var available = OrtEnv.Instance().GetAvailableProviders();
            if (!available.Contains(ExecutionProviders.Cuda))
            {
                // The CPU package throws from AppendExecutionProvider_CUDA instead of falling back, so ask first.
                Log.CudaUnavailable(logger, string.Join(", ", available));
            }
            else
            {
                try
                {
                    using var cudaOptions = new OrtCUDAProviderOptions();
                    cudaOptions.UpdateOptions(new Dictionary<string, string>
                    {
                        ["device_id"] = options.CudaDeviceId.ToString(CultureInfo.InvariantCulture),
                        ["use_tf32"] = options.CudaUseTf32 ? "1" : "0",
                    });
                    sessionOptions.AppendExecutionProvider_CUDA(cudaOptions);
                    provider = ExecutionProviders.Cuda;
                }
                catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
                {
                    Log.ProviderFailed(logger, ExecutionProviders.Cuda, e.Message);
                }
            }
        }
        return sessionOptions;
    }
}
