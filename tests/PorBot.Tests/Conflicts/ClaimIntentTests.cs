using PorBot.Conflicts;
using PorBot.Tests.Guidance;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>Claims in natural phrasing get the claim card; questions about claiming still get guidance.</summary>
public sealed class ClaimIntentTests : IAsyncLifetime
{
    private const string Id = Sample.AdventureWorksAzure;

    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await Claims.StartBotAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Theory]
    [InlineData($"we're the POR for {Id}")]
    [InlineData($"We’re the partner of record on {Id}")]
    [InlineData($"claim POR on subscription {Id}")]
    [InlineData($"I want to claim {Id}")]
    [InlineData($"register us as partner of record for {Id}")]
    [InlineData($"please set us as the POR for subscription {Id}.")]
    [InlineData($"we'd like to become POR on {Id}")]
    [InlineData($"can we claim {Id}?")]
    public async Task NaturalClaim_ShowsTheSameConfirmationCardAsClaimAndRecordsNothing(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text, Sample.FabrikamTenant));

        Assert.Equal("Adventure Works", card.Fact("Customer"));
        Assert.Equal(Id, card.Fact("Subscription"));
        Assert.Equal("Another partner is listed", card.Fact("Current POR"));
        Assert.Equal("Fabrikam Consulting (5523456)", card.Fact("Claimant"));
        Assert.Contains(ClaimCards.ConfirmTitle, card.Json, StringComparison.Ordinal);
        Assert.Equal(0, await _bot.CountAsync("claims"));
    }

    [Fact]
    public async Task NaturalClaim_FromAnUnmappedTenant_IsRefusedLikeTheCommand()
    {
        var reply = await _bot.AskAsync($"we're the POR for {Id}", Sample.UnmappedTenant);

        Assert.StartsWith("Claims can only be made by people whose organisation", reply.Text, StringComparison.Ordinal);
        Assert.Null(reply.Attachments);
    }

    [Theory]
    [InlineData("how do I claim POR for Azure?", "Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA")]
    [InlineData("claim POR for Azure", "Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA")]
    [InlineData("what is claiming partner of record", "CPOR (Claiming Partner of Record), a claim the partner files in Partner Center")]
    public async Task PorQuestionAboutClaiming_IsAnsweredByGuidance(string question, string guidance)
    {
        var reply = await GuideChat.Personal(_bot).SayAsync(question);

        Assert.Contains(guidance, reply.Text, StringComparison.Ordinal);
        Assert.DoesNotContain(ClaimCards.ConfirmTitle, reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PorQuestionNamingASubscription_IsALookupNotAClaim()
    {
        var card = CardView.Of(await _bot.AskAsync($"who is the POR for {Id}?", Sample.FabrikamTenant));

        Assert.DoesNotContain(ClaimCards.ConfirmTitle, card.Json, StringComparison.Ordinal);
        Assert.Contains("Adventure Works", card.Json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData($"how do I claim POR for {Id}?")]
    [InlineData($"should we claim {Id}")]
    [InlineData($"who is the POR for {Id}?")]
    [InlineData($"we're not the POR for {Id}")]
    [InlineData($"I want to withdraw my claim on {Id}")]
    [InlineData($"what's the status of our claim on {Id}")]
    [InlineData($"is {Id} claimed?")]
    [InlineData($"lookup {Id}")]
    [InlineData("we're the POR for Contoso")]
    [InlineData($"claim {Id} and 9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12")]
    public void Recognize_NotAClaimRequest_IsNull(string text)
    {
        Assert.Null(ClaimIntentRecognizer.Recognize(text));
    }

    [Fact]
    public void Recognize_EveryLabelledGuidanceQuestion_IsLeftToGuidance()
    {
        var questions = LabelledQuestionsTests.LoadQuestions().Concat(LabelledQuestionsTests.LoadQuestions("questions-holdout.json")).ToList();

        Assert.All(questions, q => Assert.Null(ClaimIntentRecognizer.Recognize(q.Q)));
    }
}
