using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

public sealed class QuestionMatcherTests
{
    private const string AzureOnePor = "azure-one-por-per-subscription";
    private const string OpenRetroactive = "open-retroactive";

    private static QuestionMatcher Matcher => GuidanceFixture.Matcher;

    [Theory]
    [InlineData("can two partners be POR for the same azure subscription")]
    [InlineData("can two partners be partner of record on one azure sub?")]
    [InlineData("how many partners of record can an Azure subscription have")]
    [InlineData("Can we share POR with another partner on a single Azure subscription?")]
    [InlineData("is it only one POR per azure subscription")]
    [InlineData("can 2 partnrs be POR on the same azure subscripton")]
    public void Match_AzureOnePorRuleQuestion_AnswersWithTheOnePorPerSubscriptionRule(string question)
    {
        var result = Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, result.Decision);
        Assert.Equal(AzureOnePor, result.Best!.Entry.Id);
        Assert.Contains("only one Partner of Record can be assigned to each Microsoft Azure subscription", result.Best.Entry.ShortAnswer, StringComparison.Ordinal);
        Assert.Contains("both partners are alerted", result.Best.Entry.ShortAnswer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("customer bought o365 on open months ago, can we still be added?")]
    [InlineData("can we become POR retroactively for an Office 365 Open customer")]
    [InlineData("Intune bought through open licensing last year, is it too late to be partner of record?")]
    [InlineData("open licence m365 already purchased - can the customer add our partner id now?")]
    [InlineData("retroactivley add POR on open o365")]
    public void Match_OpenRetroactiveQuestion_AnswersThatItCanBeDoneRetroactively(string question)
    {
        var result = Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, result.Decision);
        Assert.Equal(OpenRetroactive, result.Best!.Entry.Id);
        Assert.StartsWith("Yes", result.Best.Entry.ShortAnswer, StringComparison.Ordinal);
        Assert.Contains("retroactively", result.Best.Entry.ShortAnswer, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("EA azure", "scenario-azure-consumption")]
    [InlineData("open o365", "scenario-open")]
    [InlineData("online portal intune", "scenario-online-portal")]
    [InlineData("EA office 365", "scenario-ea-online-services")]
    [InlineData("azure under MOSA", "scenario-azure-consumption")]
    [InlineData("crm online bought via MOSP", "scenario-online-portal")]
    [InlineData("Entra ID premium on a campus agreement, POR?", "scenario-ea-online-services")]
    [InlineData("Dynamics on Open, how do we get POR", "scenario-open")]
    public void Match_ProductAndProgram_PicksTheScenarioForThatCombination(string question, string expectedScenario)
    {
        var result = Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, result.Decision);
        Assert.Equal(expectedScenario, result.Best!.Entry.Id);
        Assert.IsType<Scenario>(result.Best.Entry);
    }

    [Fact]
    public void Match_ProductAndProgram_ReportsTheRecognisedOfferings()
    {
        var result = Matcher.Match("customer bought Microsoft 365 through Open licensing");

        Assert.Equal(["o365"], result.Products);
        Assert.Equal(["open"], result.Programs);
    }

    [Fact]
    public void Match_ProgramShared_ByTwoScenarios_AsksWhichOneWithBoth()
    {
        var result = Matcher.Match("EA");

        Assert.Equal(MatchDecision.Clarify, result.Decision);
        Assert.Equal(
            ["scenario-azure-consumption", "scenario-ea-online-services"],
            new[] { result.Best!.Entry.Id, result.RunnerUp!.Entry.Id }.Order());
    }

    [Fact]
    public void Match_ProductBoughtSeveralWays_AsksRatherThanGuesses()
    {
        var result = Matcher.Match("how do I become POR for office 365");

        Assert.Equal(MatchDecision.Clarify, result.Decision);
        Assert.IsType<Scenario>(result.Best!.Entry);
        Assert.IsType<Scenario>(result.RunnerUp!.Entry);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("?!")]
    [InlineData("reset my password")]
    [InlineData("what's the price of Azure VMs")]
    [InlineData("how do I open a new tab")]
    [InlineData("recommend a good laptop")]
    [InlineData("write me a poem about cats")]
    public void Match_NotAPorQuestion_IsNoMatch(string question)
    {
        var result = Matcher.Match(question);

        Assert.Equal(MatchDecision.NoMatch, result.Decision);
        Assert.Equal(0, result.Confidence);
    }

    [Theory]
    [InlineData("PÁRTNER OF RÉCORD for Azure under EA!!!")]
    [InlineData("partner-of-record / azure / e.a.")]
    [InlineData("partner of recrod for azrue on enterprise agreemnt")]
    public void Match_CaseDiacriticsPunctuationAndTypos_StillFindTheScenario(string question)
    {
        var result = Matcher.Match(question);

        Assert.NotEqual(MatchDecision.NoMatch, result.Decision);
        Assert.Equal("scenario-azure-consumption", result.Best!.Entry.Id);
    }

    [Theory]
    [InlineData("O365", "product:o365")]
    [InlineData("Office 365", "product:o365")]
    [InlineData("Microsoft 365", "product:o365")]
    [InlineData("M365", "product:o365")]
    [InlineData("AAD", "product:aadp")]
    [InlineData("Azure AD Premium", "product:aadp")]
    [InlineData("Entra ID", "product:aadp")]
    [InlineData("CRM", "product:crm")]
    [InlineData("Dynamics CRM Online", "product:crm")]
    [InlineData("MPN ID", "#partnerid")]
    [InlineData("partner ID", "#partnerid")]
    [InlineData("partners of record", "#por")]
    [InlineData("POR", "#por")]
    [InlineData("enterprise agreement", "program:ea")]
    [InlineData("subs", "#subscription")]
    [InlineData("subscriptions", "#subscription")]
    public void Analyse_Synonym_FoldsToOneTerm(string text, string term)
    {
        Assert.Equal([term], Matcher.Analyse(text));
    }

    [Theory]
    [InlineData("subscritpion", "#subscription")]
    [InlineData("retroactivly", "#retroactive")]
    [InlineData("intnue", "product:intune")]
    public void Analyse_Typo_IsCorrectedAgainstTheVocabulary(string text, string term)
    {
        Assert.Equal([term], Matcher.Analyse(text));
    }

    [Fact]
    public void Analyse_RealFourLetterWord_IsNotBentIntoADomainWord()
    {
        // "good" is one edit from "gold" (a competency alias); only swaps are corrected at four letters.
        Assert.DoesNotContain("#competency", Matcher.Analyse("good"));
    }

    [Fact]
    public void Match_ConfidentAnswer_HasRunnerUpAndConfidenceBetweenZeroAndOne()
    {
        var result = Matcher.Match("what is proof of execution");

        Assert.Equal(MatchDecision.Answer, result.Decision);
        Assert.Equal("proof-of-execution", result.Best!.Entry.Id);
        Assert.NotNull(result.RunnerUp);
        Assert.True(result.Best.Score > result.RunnerUp!.Score);
        Assert.InRange(result.Confidence, 0.5, 1);
    }
}
