using System.Buffers;
using System.Text;

namespace Orleans.LlmRec.Recommendation.Data;

/// <summary>
/// RFC 4180 reader: quoted fields with doubled quotes and separators or line breaks inside them; CRLF, LF or CR
/// line ends. Blank lines between records are skipped. A quote inside an unquoted field is kept as text (common
/// in hand-written files); text after a closing quote is an error because it usually means a broken quote.
/// Written here rather than taken from a package so each record's first physical line is known for error messages.
/// </summary>
public sealed class CsvReader : RecordReader
{
    private const int BufferSize = 1 << 16;

    private readonly char _separator;
    private readonly char[] _buffer = new char[BufferSize];
    private readonly SearchValues<char> _unquotedStops;
    private readonly SearchValues<char> _quotedStops = SearchValues.Create("\"\r\n");
    private readonly StringBuilder _text = new();
    private int _position;
    private int _length;
    private int _nextLine = 1;

    public CsvReader(TextReader reader, string filePath, char separator = ',') : base(reader, filePath)
    {
        if (separator is '"' or '\r' or '\n')
        {
            throw new ArgumentException("The separator cannot be a quote or a line break.", nameof(separator));
        }
        _separator = separator;
        _unquotedStops = SearchValues.Create([separator, '\r', '\n']);
    }

    /// <summary>Opens a file (UTF-8 unless told otherwise; a byte-order mark wins).</summary>
    public static CsvReader Open(string path, char separator = ',', Encoding? encoding = null) =>
        new(OpenText(path, encoding ?? Encoding.UTF8), path, separator);

    protected override string SeparatorDescription => _separator == '\t' ? "tab" : $"'{_separator}'";

    public override bool Read()
    {
        FieldBuffer.Clear();
        while (true)
        {
            var c = Peek();
            if (c < 0)
            {
                return false;
            }
            if (c is '\r' or '\n')
            {
                ConsumeLineEnd();
                continue;
            }
            break;
        }
        Line = _nextLine;
        while (true)
        {
            switch (ReadField())
            {
                case FieldEnd.Separator:
                    continue;
                case FieldEnd.LineEnd:
                    ConsumeLineEnd();
                    return true;
                default:
                    return true;
            }
        }
    }

    private enum FieldEnd { Separator, LineEnd, EndOfFile }

    private FieldEnd ReadField()
    {
        _text.Clear();
        if (Peek() == '"')
        {
            _position++;
            ReadQuoted();
            var next = Peek();
            if (next < 0)
            {
                return Complete(FieldEnd.EndOfFile);
            }
            if (next == _separator)
            {
                _position++;
                return Complete(FieldEnd.Separator);
            }
            if (next is '\r' or '\n')
            {
                return Complete(FieldEnd.LineEnd);
            }
            throw new DataFormatException(FilePath, _nextLine, ColumnName(FieldBuffer.Count),
                $"unexpected '{(char)next}' after a closing quote (a quote inside a quoted field must be doubled)");
        }

        while (true)
        {
            if (_position == _length && !Fill())
            {
                return Complete(FieldEnd.EndOfFile);
            }
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(_unquotedStops);
            if (stop < 0)
            {
                _text.Append(span);
                _position = _length;
                continue;
            }
            _text.Append(span[..stop]);
            _position += stop;
            if (_buffer[_position] == _separator)
            {
                _position++;
                return Complete(FieldEnd.Separator);
            }
            return Complete(FieldEnd.LineEnd);
        }
    }

    private void ReadQuoted()
    {
        var openedOn = _nextLine;
        while (true)
        {
            if (_position == _length && !Fill())
            {
                throw new DataFormatException(FilePath, Line, ColumnName(FieldBuffer.Count),
                    $"quoted field opened on line {openedOn} is never closed");
            }
            var span = _buffer.AsSpan(_position, _length - _position);
            var stop = span.IndexOfAny(_quotedStops);
            if (stop < 0)
            {
                _text.Append(span);
                _position = _length;
                continue;
            }
            _text.Append(span[..stop]);
            _position += stop;
            var c = _buffer[_position++];
            if (c == '"')
            {
                if (Peek() == '"')
                {
                    _text.Append('"');
                    _position++;
                    continue;
                }
                return;
            }
            // A line break inside quotes is data, kept as written, but it still advances the physical line.
            _text.Append(c);
            if (c == '\r' && Peek() == '\n')
            {
                _text.Append('\n');
                _position++;
            }
            _nextLine++;
        }
    }

    private FieldEnd Complete(FieldEnd end)
    {
        FieldBuffer.Add(_text.ToString());
        return end;
    }

    private void ConsumeLineEnd()
    {
        if (Peek() == '\r')
        {
            _position++;
            if (Peek() == '\n')
            {
                _position++;
            }
        }
        else
        {
            _position++;
        }
        _nextLine++;
    }

    private int Peek()
    {
        if (_position == _length && !Fill())
        {
            return -1;
        }
        return _buffer[_position];
    }

    private bool Fill()
    {
        _length = Reader.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        return _length > 0;
    }
}
