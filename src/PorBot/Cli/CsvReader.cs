using System.Text;

namespace PorBot.Cli;

/// <summary>One CSV record: its fields, the line it starts on, and what was wrong with its syntax, if anything.</summary>
public sealed record CsvRecord(int Line, IReadOnlyList<string> Fields, string? SyntaxError, bool HasInvalidEncoding);

/// <summary>
/// Streaming RFC 4180 reader: comma separated, fields optionally in double quotes with "" for a quote,
/// commas and line breaks allowed inside quotes, CRLF or LF line ends, a leading UTF-8 BOM ignored,
/// blank lines skipped. Malformed quoting is reported on the record instead of thrown, so a caller can
/// list every bad line. Bytes that are not UTF-8 decode to U+FFFD and mark the record.
/// </summary>
public sealed class CsvReader : IDisposable
{
    private const char Replacement = '\uFFFD';
    private readonly TextReader _reader;
    private readonly char[] _buffer = new char[64 * 1024];
    private readonly StringBuilder _field = new();
    private int _position;
    private int _length;
    private int _line = 1;
    private bool _atStart = true;

    public CsvReader(TextReader reader) => _reader = reader;

    /// <summary>Opens a file as UTF-8 with replacement of invalid bytes (so they can be reported, not thrown).</summary>
    public static CsvReader OpenFile(string path) =>
        new(new StreamReader(path, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false), detectEncodingFromByteOrderMarks: false, bufferSize: 1 << 16));

    public CsvRecord? Read()
    {
        while (true)
        {
            if (_atStart)
            {
                _atStart = false;
                if (Peek() == '\uFEFF') Next();
            }

            if (Peek() < 0) return null;
            var startLine = _line;
            var fields = new List<string>(8);
            string? error = null;
            var invalidEncoding = false;
            var endOfRecord = false;
            while (!endOfRecord)
            {
                _field.Clear();
                if (Peek() == '"')
                {
                    Next();
                    var closed = false;
                    while (true)
                    {
                        var c = Next();
                        if (c < 0) break;
                        if (c == '"')
                        {
                            if (Peek() == '"')
                            {
                                Next();
                                _field.Append('"');
                                continue;
                            }

                            closed = true;
                            break;
                        }

                        if (c == '\n') _line++;
                        _field.Append((char)c);
                    }

                    if (!closed) error ??= "a quoted field is not closed before the end of the file";
                    else if (Peek() is not (',' or '\r' or '\n' or -1))
                    {
                        error ??= "text after the closing quote of a field";
                        SkipToEndOfField();
                    }
                }
                else
                {
                    while (Peek() is not (',' or '\r' or '\n' or -1))
                    {
                        var c = Next();
                        if (c == '"') error ??= "a quote inside a field that does not start with a quote";
                        _field.Append((char)c);
                    }
                }

                var value = _field.ToString();
                if (value.Contains(Replacement, StringComparison.Ordinal)) invalidEncoding = true;
                fields.Add(value);
                switch (Next())
                {
                    case ',':
                        break;
                    case '\r':
                        if (Peek() == '\n') Next();
                        _line++;
                        endOfRecord = true;
                        break;
                    case '\n':
                        _line++;
                        endOfRecord = true;
                        break;
                    default:
                        endOfRecord = true;
                        break;
                }
            }

            if (fields is [{ Length: 0 }] && error is null) continue;
            return new CsvRecord(startLine, fields, error, invalidEncoding);
        }
    }

    public void Dispose() => _reader.Dispose();

    private void SkipToEndOfField()
    {
        while (Peek() is not (',' or '\r' or '\n' or -1)) Next();
    }

    private int Peek()
    {
        if (_position < _length) return _buffer[_position];
        _length = _reader.Read(_buffer, 0, _buffer.Length);
        _position = 0;
        return _length > 0 ? _buffer[0] : -1;
    }

    private int Next()
    {
        var c = Peek();
        if (c >= 0) _position++;
        return c;
    }
}
