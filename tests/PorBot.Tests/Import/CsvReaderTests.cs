using System.Text;
using PorBot.Cli;

namespace PorBot.Tests.Import;

public sealed class CsvReaderTests
{
    private static List<CsvRecord> ReadAll(string text)
    {
        using var reader = new CsvReader(new StringReader(text));
        var records = new List<CsvRecord>();
        while (reader.Read() is { } record) records.Add(record);
        return records;
    }

    [Fact]
    public void Read_QuotedFieldsWithCommasQuotesAndLineBreaks_AreOneFieldEach()
    {
        var records = ReadAll("a,\"b, c\",\"say \"\"hi\"\"\"\n\"two\nlines\",,x\n");

        Assert.Equal(2, records.Count);
        Assert.Equal(["a", "b, c", "say \"hi\""], records[0].Fields);
        Assert.Equal(["two\nlines", "", "x"], records[1].Fields);
        Assert.All(records, r => Assert.Null(r.SyntaxError));
    }

    [Fact]
    public void Read_LineNumbers_CountPhysicalLines_SkippingBlankOnes()
    {
        var records = ReadAll("h1,h2\r\n\r\n\"multi\r\nline\",b\r\nlast,row");

        Assert.Equal([1, 3, 5], records.Select(r => r.Line));
        Assert.Equal(["last", "row"], records[2].Fields);
    }

    [Fact]
    public void Read_CrLfAndLf_EndRecordsTheSameWay()
    {
        Assert.Equal(
            ReadAll("a,b\nc,d\n").Select(r => string.Join('|', r.Fields)),
            ReadAll("a,b\r\nc,d\r\n").Select(r => string.Join('|', r.Fields)));
    }

    [Fact]
    public void OpenFile_Utf8Bom_IsNotPartOfTheFirstField()
    {
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, [.. Encoding.UTF8.Preamble, .. "partner_id,name\n"u8]);
        using var reader = CsvReader.OpenFile(path);

        Assert.Equal(["partner_id", "name"], reader.Read()!.Fields);
        File.Delete(path);
    }

    [Fact]
    public void OpenFile_BytesThatAreNotUtf8_MarkTheRecord()
    {
        var path = Path.GetTempFileName();
        File.WriteAllBytes(path, [.. "ok,row\nbad,"u8, 0xC3, 0x28, .. "x\nok,again\n"u8]);
        using var reader = CsvReader.OpenFile(path);

        Assert.False(reader.Read()!.HasInvalidEncoding);
        var bad = reader.Read()!;
        Assert.True(bad.HasInvalidEncoding);
        Assert.Equal(2, bad.Line);
        Assert.False(reader.Read()!.HasInvalidEncoding);
        File.Delete(path);
    }

    [Theory]
    [InlineData("a,\"open\n", "a quoted field is not closed before the end of the file")]
    [InlineData("a,\"closed\"junk,b\n", "text after the closing quote of a field")]
    [InlineData("a,in\"side,b\n", "a quote inside a field that does not start with a quote")]
    public void Read_MalformedQuoting_IsReportedOnTheRecord_NotThrown(string text, string error)
    {
        var record = Assert.Single(ReadAll(text));

        Assert.Equal(error, record.SyntaxError);
    }

    [Fact]
    public void Read_AfterAMalformedRecord_TheNextRecordIsReadNormally()
    {
        var records = ReadAll("a,x\"y\nb,c\n");

        Assert.NotNull(records[0].SyntaxError);
        Assert.Equal(["b", "c"], records[1].Fields);
        Assert.Equal(2, records[1].Line);
    }
}
