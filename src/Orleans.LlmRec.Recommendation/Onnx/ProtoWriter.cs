using Google.Protobuf;

namespace Orleans.LlmRec.Recommendation.Onnx;

/// <summary>
/// Writes one protobuf message field by field. Nested messages are written into their own writer first and then
/// embedded as a length-delimited field, because the wire format needs a sub-message's length before its bytes and
/// ONNX graphs are small enough (apart from the item table, embedded once) that the extra copy costs nothing.
/// </summary>
internal sealed class ProtoWriter : IDisposable
{
    private readonly MemoryStream _buffer;
    private readonly CodedOutputStream _output;

    public ProtoWriter(int initialCapacity = 256)
    {
        _buffer = new MemoryStream(initialCapacity);
        _output = new CodedOutputStream(_buffer, leaveOpen: true);
    }

    public ProtoWriter Int64(int field, long value)
    {
        _output.WriteTag(field, WireFormat.WireType.Varint);
        _output.WriteInt64(value);
        return this;
    }

    public ProtoWriter Int32(int field, int value)
    {
        _output.WriteTag(field, WireFormat.WireType.Varint);
        _output.WriteInt32(value);
        return this;
    }

    public ProtoWriter Float(int field, float value)
    {
        _output.WriteTag(field, WireFormat.WireType.Fixed32);
        _output.WriteFloat(value);
        return this;
    }

    public ProtoWriter String(int field, string value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteString(value);
        return this;
    }

    public ProtoWriter Bytes(int field, ReadOnlyMemory<byte> value)
    {
        _output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        _output.WriteBytes(UnsafeByteOperations.UnsafeWrap(value));
        return this;
    }

    public ProtoWriter Message(int field, ProtoWriter message) => Bytes(field, message.Written());

    /// <summary>The bytes written so far; valid until the next write or disposal.</summary>
    public ReadOnlyMemory<byte> Written()
    {
        _output.Flush();
        return _buffer.GetBuffer().AsMemory(0, checked((int)_buffer.Length));
    }

    public byte[] ToArray()
    {
        _output.Flush();
        return _buffer.ToArray();
    }

    public void Dispose()
    {
        _output.Dispose();
        _buffer.Dispose();
    }
}
