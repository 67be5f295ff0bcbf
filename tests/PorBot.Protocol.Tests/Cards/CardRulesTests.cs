using PorBot.Protocol.Cards;

namespace PorBot.Protocol.Tests.Cards;

public class CardRulesTests
{
    [Fact]
    public void Refresh_SixtyUserIds_IsAccepted()
    {
        var ids = Enumerable.Range(1, CardRefresh.MaxUserIds).Select(i => $"29:user-{i}").ToList();

        var card = new AdaptiveCard().WithRefresh("refreshView", userIds: ids);

        Assert.Equal(60, card.Refresh!.UserIds!.Count);
    }

    [Fact]
    public void Refresh_SixtyOneUserIds_Throws()
    {
        var ids = Enumerable.Range(1, 61).Select(i => $"29:user-{i}").ToList();

        var ex = Assert.Throws<ArgumentException>(() => new AdaptiveCard().WithRefresh("refreshView", userIds: ids));
        Assert.Contains("60", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Refresh_UserIdsInitAboveLimit_Throws() =>
        Assert.Throws<ArgumentException>(() => new CardRefresh(new ExecuteAction(null, "refreshView"))
        {
            UserIds = Enumerable.Repeat("29:x", 61).ToArray(),
        });

    [Theory]
    [InlineData("http://example.com/a.png")]
    [InlineData("javascript:alert(1)")]
    [InlineData("data:image/png;base64,AAAA")]
    [InlineData("/relative/a.png")]
    [InlineData("ftp://example.com/a.png")]
    [InlineData("")]
    public void Image_NonHttpsUrl_Throws(string url)
    {
        Assert.Throws<ArgumentException>(() => new Image(url));
        Assert.Throws<ArgumentException>(() => new Image("https://example.com/ok.png") { Url = url });
    }

    [Theory]
    [InlineData("http://example.com")]
    [InlineData("javascript:alert(1)")]
    [InlineData("example.com")]
    public void OpenUrlAction_NonHttpsUrl_Throws(string url)
    {
        Assert.Throws<ArgumentException>(() => new OpenUrlAction("Open", url));
        Assert.Throws<ArgumentException>(() => new OpenUrlAction("Open", "https://example.com") { Url = url });
    }

    [Fact]
    public void OpenUrlAction_HttpsUrl_IsKept()
    {
        var action = new OpenUrlAction("Open", "https://por.example.com/por/1?x=1");

        Assert.Equal("https://por.example.com/por/1?x=1", action.Url);
    }

    [Fact]
    public void Escape_MarkdownLink_IsNoLongerALink()
    {
        var escaped = Markdown.Escape("[x](http://evil)");

        Assert.Equal(@"\[x\]\(http://evil\)", escaped);
    }

    [Fact]
    public void Escape_BoldAndItalic_AreEscaped()
    {
        Assert.Equal(@"\*\*bold\*\* and \_it\_", Markdown.Escape("**bold** and _it_"));
    }

    [Theory]
    [InlineData("- item", @"\- item")]
    [InlineData("  + item", @"  \+ item")]
    [InlineData("# title", @"\# title")]
    [InlineData("12. item", @"12\. item")]
    [InlineData("first\n2. second", "first\n2\\. second")]
    public void Escape_ListAndHeadingMarkersAtLineStart_AreEscaped(string input, string expected) =>
        Assert.Equal(expected, Markdown.Escape(input));

    [Theory]
    [InlineData("a-b + c #1", "a-b + c #1")]
    [InlineData("Version 1.5", "Version 1.5")]
    [InlineData("Contoso Ltd", "Contoso Ltd")]
    public void Escape_MarkersInsideALine_AreLeftAlone(string input, string expected) =>
        Assert.Equal(expected, Markdown.Escape(input));

    [Fact]
    public void Escape_BackslashTagsAndDateFunctions_AreEscaped()
    {
        Assert.Equal(@"a\\b \<at\>Boss\</at\> \{{DATE\(x\)}}", Markdown.Escape(@"a\b <at>Boss</at> {{DATE(x)}}"));
    }

    [Fact]
    public void TextInput_WithoutId_Throws() => Assert.Throws<ArgumentException>(() => new TextInput(" "));

    [Fact]
    public void ExecuteAction_WithoutVerb_Throws() => Assert.Throws<ArgumentException>(() => new ExecuteAction("Go", ""));

    [Fact]
    public void ColumnWidth_Parse_ReadsAllForms()
    {
        Assert.Equal(ColumnWidth.Auto, ColumnWidth.Parse("auto"));
        Assert.Equal(ColumnWidth.Stretch, ColumnWidth.Parse("Stretch"));
        Assert.Equal(ColumnWidth.Pixels(40), ColumnWidth.Parse("40px"));
        Assert.Equal(ColumnWidth.Weight(3), ColumnWidth.Parse("3"));
        Assert.Throws<FormatException>(() => ColumnWidth.Parse("wide"));
    }
}
