using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

public sealed class TextAnalysisTests
{
    [Theory]
    [InlineData("Pártner’s  RÉCORD!!", "partners record")]
    [InlineData("What's the E.A. / P.O.R. deal?", "whats the ea por deal")]
    [InlineData("O365,Intune;AAD-P", "o365 intune aad p")]
    [InlineData("  ", "")]
    public void Normalize_FoldsCaseDiacriticsApostrophesAndPunctuation(string text, string expected)
    {
        Assert.Equal(expected, TextAnalysis.Normalize(text));
    }

    [Theory]
    [InlineData("subscription", "subscritpion", 1)]
    [InlineData("partner", "partnr", 1)]
    [InlineData("retroactively", "retroactivly", 1)]
    [InlineData("azure", "azrue", 1)]
    [InlineData("consumption", "consumtpoin", 2)]
    public void BoundedEditDistance_CountsTranspositionsAsOneEdit(string a, string b, int expected)
    {
        Assert.Equal(expected, TextAnalysis.BoundedEditDistance(a, b, 2));
    }

    [Fact]
    public void BoundedEditDistance_FarApart_StopsAboveTheBound()
    {
        Assert.Equal(2, TextAnalysis.BoundedEditDistance("password", "partner", 1));
    }

    [Theory]
    [InlineData("partners", "partner")]
    [InlineData("changed", "chang")]
    [InlineData("changes", "chang")]
    [InlineData("changing", "chang")]
    [InlineData("companies", "company")]
    [InlineData("o365", "o365")]
    public void Stem_InflectionsShareAStem(string word, string stem)
    {
        Assert.Equal(stem, TextAnalysis.Stem(word));
    }
}
