namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>
/// Serialises an <see cref="OnnxGraph"/> as an ONNX <c>ModelProto</c>. Field numbers are those of onnx/onnx.proto
/// (stable since IR version 3); only the fields the scoring graphs need are written.
/// </summary>
internal static class OnnxModelWriter
{
    private static class ModelField
    {
        public const int IrVersion = 1;
        public const int ProducerName = 2;
        public const int ProducerVersion = 3;
        public const int Domain = 4;
        public const int DocString = 6;
        public const int Graph = 7;
        public const int OpsetImport = 8;
        public const int MetadataProps = 14;
    }

    private static class OperatorSetIdField
    {
        public const int Domain = 1;
        public const int Version = 2;
    }

    private static class StringStringEntryField
    {
        public const int Key = 1;
        public const int Value = 2;
    }

    private static class GraphField
    {
        public const int Node = 1;
        public const int Name = 2;
        public const int Initializer = 5;
        public const int DocString = 10;
        public const int Input = 11;
        public const int Output = 12;
    }

    private static class NodeField
    {
        public const int Input = 1;
        public const int Output = 2;
        public const int Name = 3;
        public const int OpType = 4;
        public const int Attribute = 5;
    }

    private static class AttributeField
    {
        public const int Name = 1;
        public const int Int = 3;
        public const int Type = 20;

        /// <summary>AttributeProto.AttributeType.INT.</summary>
        public const int TypeInt = 2;
    }

    private static class TensorField
    {
        public const int Dims = 1;
        public const int DataType = 2;
        public const int Name = 8;
        public const int RawData = 9;
    }

    private static class ValueInfoField
    {
        public const int Name = 1;
        public const int Type = 2;
        public const int DocString = 3;
    }

    private static class TypeField
    {
        public const int TensorType = 1;
        public const int TensorElemType = 1;
        public const int TensorShape = 2;
        public const int ShapeDim = 1;
        public const int DimValue = 1;
        public const int DimParam = 2;
    }

    public static byte[] Write(OnnxGraph graph, IReadOnlyList<KeyValuePair<string, string>> metadata, string producerVersion, string documentation)
    {
        using var model = new ProtoWriter();
        model.Int64(ModelField.IrVersion, OnnxContract.IrVersion)
            .String(ModelField.ProducerName, OnnxContract.ProducerName)
            .String(ModelField.ProducerVersion, producerVersion)
            .String(ModelField.Domain, "llmrec")
            .String(ModelField.DocString, documentation);
        using (var opset = new ProtoWriter())
        {
            opset.String(OperatorSetIdField.Domain, "").Int64(OperatorSetIdField.Version, OnnxContract.OpsetVersion);
            model.Message(ModelField.OpsetImport, opset);
        }
        using (var graphMessage = WriteGraph(graph))
        {
            model.Message(ModelField.Graph, graphMessage);
        }
        foreach (var (key, value) in metadata)
        {
            using var entry = new ProtoWriter();
            entry.String(StringStringEntryField.Key, key).String(StringStringEntryField.Value, value);
            model.Message(ModelField.MetadataProps, entry);
        }
        return model.ToArray();
    }

    private static ProtoWriter WriteGraph(OnnxGraph graph)
    {
        var capacity = graph.Initializers.Sum(i => (long)i.RawData.Length) + 4096;
        if (capacity > int.MaxValue)
        {
            // Protobuf messages cannot exceed 2 GiB; ONNX's external-data format would be needed beyond that.
            throw new NotSupportedException($"The graph's initializers need {capacity} bytes, more than one ONNX protobuf file can hold (2 GiB).");
        }
        var message = new ProtoWriter((int)capacity);
        foreach (var node in graph.Nodes)
        {
            using var nodeMessage = WriteNode(node);
            message.Message(GraphField.Node, nodeMessage);
        }
        message.String(GraphField.Name, graph.Name);
        foreach (var initializer in graph.Initializers)
        {
            using var tensor = new ProtoWriter(initializer.RawData.Length + 64);
            foreach (var dimension in initializer.Dimensions) tensor.Int64(TensorField.Dims, dimension);
            tensor.Int32(TensorField.DataType, (int)initializer.Type)
                .String(TensorField.Name, initializer.Name)
                .Bytes(TensorField.RawData, initializer.RawData);
            message.Message(GraphField.Initializer, tensor);
        }
        message.String(GraphField.DocString, graph.Documentation);
        foreach (var input in graph.Inputs)
        {
            using var value = WriteValueInfo(input);
            message.Message(GraphField.Input, value);
        }
        foreach (var output in graph.Outputs)
        {
            using var value = WriteValueInfo(output);
            message.Message(GraphField.Output, value);
        }
        return message;
    }

    private static ProtoWriter WriteNode(OnnxNode node)
    {
        var message = new ProtoWriter();
        foreach (var input in node.Inputs) message.String(NodeField.Input, input);
        foreach (var output in node.Outputs) message.String(NodeField.Output, output);
        message.String(NodeField.Name, node.Name).String(NodeField.OpType, node.OpType);
        foreach (var attribute in node.Attributes)
        {
            using var attributeMessage = new ProtoWriter();
            attributeMessage.String(AttributeField.Name, attribute.Name);
            switch (attribute)
            {
                case OnnxIntAttribute integer:
                    attributeMessage.Int64(AttributeField.Int, integer.Value).Int32(AttributeField.Type, AttributeField.TypeInt);
                    break;
                default:
                    throw new NotSupportedException($"Attribute type {attribute.GetType().Name} is not written by this exporter.");
            }
            message.Message(NodeField.Attribute, attributeMessage);
        }
        return message;
    }

    private static ProtoWriter WriteValueInfo(OnnxValueInfo value)
    {
        using var shape = new ProtoWriter();
        foreach (var dimension in value.Shape)
        {
            using var dim = new ProtoWriter();
            if (dimension.Size is { } size) dim.Int64(TypeField.DimValue, size);
            else dim.String(TypeField.DimParam, dimension.Symbol ?? throw new InvalidOperationException("A dimension needs a size or a symbol."));
            shape.Message(TypeField.ShapeDim, dim);
        }
        using var tensorType = new ProtoWriter();
        tensorType.Int32(TypeField.TensorElemType, (int)value.Type).Message(TypeField.TensorShape, shape);
        using var type = new ProtoWriter();
        type.Message(TypeField.TensorType, tensorType);
        var message = new ProtoWriter();
        message.String(ValueInfoField.Name, value.Name).Message(ValueInfoField.Type, type).String(ValueInfoField.DocString, value.Documentation);
        return message;
    }
}
