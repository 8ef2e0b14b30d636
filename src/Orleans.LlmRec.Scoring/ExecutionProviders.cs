namespace Orleans.LlmRec.Scoring;

/// <summary>ONNX Runtime's names of the execution providers the scorer uses.</summary>
internal static class ExecutionProviders
{
    public const string Cpu = "CPUExecutionProvider";
    public const string Cuda = "CUDAExecutionProvider";
}
