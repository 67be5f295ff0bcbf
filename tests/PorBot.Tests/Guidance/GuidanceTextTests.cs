using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

/// <summary>Rules for what the guidance cards may show, checked on the knowledge base itself.</summary>
public sealed class GuidanceTextTests
{
    [Theory]
    [InlineData("cancel", GuideControl.Cancel)]
    [InlineData("Stop!", GuideControl.Cancel)]
    [InlineData("  Go   back ", GuideControl.Back)]
    [InlineData("back please", GuideControl.Back)]
    [InlineData("Start over", GuideControl.Restart)]
    [InlineData("restart.", GuideControl.Restart)]
    public void ParseControl_ControlWordsOnTheirOwn_AreRecognised(string text, GuideControl expected)
    {
        Assert.Equal(expected, GuidedDialog.ParseControl(text));
    }

    [Theory]
    [InlineData("can we go back to the old partner of record")]
    [InlineData("how do I cancel a POR")]
    [InlineData("start")]
    public void ParseControl_ControlWordInsideAQuestion_IsNotAControl(string text)
    {
        Assert.Null(GuidedDialog.ParseControl(text));
    }

    [Fact]
    public void ScenarioWhereToday_EverySayToConfirmOnPartnerCenter()
    {
        Assert.All(GuidanceFixture.Knowledge.Scenarios,
            s => Assert.Contains("confirm on Partner Center", s.Where.Today, StringComparison.Ordinal));
    }

    /// <summary>
    /// Knowledge text goes into markdown TextBlocks unescaped (it is reviewed data, and escapes show as
    /// backslashes in some Teams clients), so it must not contain markdown that would change what it says.
    /// </summary>
    [Fact]
    public void KnowledgeTextShownOnCards_HasNoMarkdownSyntax()
    {
        var texts = GuidanceFixture.Knowledge.Entries.SelectMany(e => new[] { e.Title, e.ShortAnswer, e.Details ?? "" }
            .Concat(e is Scenario s ? [.. s.Steps, .. s.Impacts, .. s.Caveats, s.SetByText, s.Guide, s.Where.Then, s.Where.Today, s.ImpactsNote ?? ""] : []));
        Assert.All(texts, t =>
        {
            Assert.DoesNotMatch(@"[*_`<>\[\]]|^\s*([-+#]|\d+\.)\s", t);
        });
    }

    [Fact]
    public void RecognizeOfferings_AliasesAndTypos_GiveProductAndProgramIds()
    {
        var mention = GuidanceFixture.Matcher.RecognizeOfferings("it's azrue on an E.A.");

        Assert.Equal(["azure"], mention.Products);
        Assert.Equal(["ea"], mention.Programs);
    }
}
