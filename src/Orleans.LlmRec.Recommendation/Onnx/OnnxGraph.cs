namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>TensorProto.DataType values the exporter uses (onnx.proto).</summary>
internal enum OnnxElementType
{
    Float = 1,
    Int64 = 7,
    Bool = 9,
}

/// <summary>One dimension of a value's shape: a fixed size or a symbolic name.</summary>
internal readonly record struct OnnxDimension(long? Size, string? Symbol)
{
    public static OnnxDimension Fixed(long size) => new(size, null);
    public static OnnxDimension Named(string symbol) => new(null, symbol);
}

internal sealed record OnnxValueInfo(string Name, OnnxElementType Type, OnnxDimension[] Shape, string Documentation);

/// <summary>A constant tensor stored in the graph; <paramref name="RawData"/> is little-endian, row-major.</summary>
internal sealed record OnnxInitializer(string Name, OnnxElementType Type, long[] Dimensions, byte[] RawData);

internal abstract record OnnxAttribute(string Name);

internal sealed record OnnxIntAttribute(string Name, long Value) : OnnxAttribute(Name);

internal sealed record OnnxNode(string OpType, string Name, string[] Inputs, string[] Outputs, OnnxAttribute[] Attributes);

internal sealed class OnnxGraph(string name, string documentation)
{
    public string Name { get; } = name;
    public string Documentation { get; } = documentation;
    public List<OnnxNode> Nodes { get; } = [];
    public List<OnnxInitializer> Initializers { get; } = [];
    public List<OnnxValueInfo> Inputs { get; } = [];
    public List<OnnxValueInfo> Outputs { get; } = [];

    public string AddNode(string opType, string output, string[] inputs, params OnnxAttribute[] attributes)
    {
        Nodes.Add(new OnnxNode(opType, $"{opType}_{Nodes.Count}", inputs, [output], attributes));
        return output;
    }

    public void AddNode(string opType, string[] outputs, string[] inputs, params OnnxAttribute[] attributes) =>
        Nodes.Add(new OnnxNode(opType, $"{opType}_{Nodes.Count}", inputs, outputs, attributes));
}
