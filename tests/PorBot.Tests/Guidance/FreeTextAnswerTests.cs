using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

/// <summary>Free-text POR questions through the real pipeline: answer, clarify, or say plainly it can't help.</summary>
public sealed class FreeTextAnswerTests(GuidanceBotFixture fixture) : IClassFixture<GuidanceBotFixture>
{
    private GuideChat NewChat() => GuideChat.Personal(fixture.Bot);

    [Theory]
    [InlineData("can two partners be POR for the same azure subscription")]
    [InlineData("can 2 partnrs be POR on the same azure subscripton")]
    [InlineData("Two partners on one Azure sub?")]
    [InlineData("is it only one POR per azure subscription")]
    public async Task Question_AzureOnePorRule_AnswersOnlyOnePorPerSubscription(string question)
    {
        var reply = await NewChat().SayAsync(question);

        Assert.Equal("Azure: one Partner of Record per subscription", reply.Heading);
        Assert.Contains("No: only one Partner of Record can be assigned to each Microsoft Azure subscription", reply.Text, StringComparison.Ordinal);
        Assert.Contains("both partners are alerted", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Question_AzureTwoPartnersOnEaAtLength_OffersTheOnePorRuleFirst()
    {
        var reply = await NewChat().SayAsync("Our customer has one big Azure subscription under their EA and two partners work on it - " +
            "us for data and another for infra - can both of us be the partner of record on that subscription?");

        Assert.Contains("Did you mean…", reply.Text, StringComparison.Ordinal);
        Assert.Equal("Azure: one Partner of Record per subscription", reply.ButtonTitles[0]);
    }

    [Theory]
    [InlineData("customer bought o365 on open months ago, can we still be added?")]
    [InlineData("retroactivley add POR on open o365")]
    [InlineData("Intune bought through open licensing last year, is it too late to be partner of record?")]
    public async Task Question_OpenRetroactive_AnswersYesItCanBeDoneRetroactively(string question)
    {
        var reply = await NewChat().SayAsync(question);

        Assert.Equal("Open licensing: POR can be added retroactively", reply.Heading);
        Assert.Contains("Yes: for Office 365, Intune or Dynamics CRM Online bought via Open licensing, you can become Partner of Record retroactively",
            reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Question_ScenarioQuestion_AnswersWithTheFullScenarioCard()
    {
        var reply = await NewChat().SayAsync("how do I get POR on an EA azure sub?");

        Assert.Equal("Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA", reply.Heading);
        Assert.Contains("Only one Partner of Record can be assigned to each Microsoft Azure subscription", reply.Text, StringComparison.Ordinal);
        Assert.Contains("Microsoft Azure Incentive Implementation Guide (plus video guides)", reply.Text, StringComparison.Ordinal);
        Assert.Contains("Azure: one Partner of Record per subscription", reply.ButtonTitles);
        // Not started from the guide: no back / start over.
        Assert.DoesNotContain("Back", reply.ButtonTitles);
    }

    [Fact]
    public async Task Question_NamesAProductAndProgramWithoutScenario_SaysSoAndOffersTheValidPrograms()
    {
        var chat = NewChat();

        var reply = await chat.SayAsync("how do we become POR for dynamics crm bought under an EA?");

        Assert.Contains("no scenario for **Dynamics CRM Online** bought through **Enterprise Agreement (EA)**", reply.Text, StringComparison.Ordinal);
        Assert.Equal(["Microsoft Online Portal (MOSP)", "Open licensing", "Back", "Start over", "Cancel"], reply.ButtonTitles);
        var scenario = await chat.ClickAsync(reply, "Open licensing");
        Assert.Equal("Office 365, Intune or Dynamics CRM Online bought via Open licensing", scenario.Heading);
    }

    [Fact]
    public async Task Question_NextQuestionButton_AnswersThatTopic()
    {
        var chat = NewChat();
        var scenario = await chat.SayAsync("how do I get POR on an EA azure sub?");

        var topic = await chat.ClickAsync(scenario, "Azure: one Partner of Record per subscription");

        Assert.Equal("Azure: one Partner of Record per subscription", topic.Heading);
    }

    [Fact]
    public async Task Question_CloseBetweenTwoTopics_AsksWhichOneWithBothAsButtons()
    {
        var chat = NewChat();
        var (question, best, runnerUp) = FindClarifyingQuestion();

        var reply = await chat.SayAsync(question);

        Assert.Contains("Did you mean…", reply.Text, StringComparison.Ordinal);
        Assert.Equal([best.Title, runnerUp.Title, GuidanceCards.NeitherTitle], reply.ButtonTitles);
        var chosen = await chat.ClickAsync(reply, runnerUp.Title);
        Assert.Equal(runnerUp.Title, chosen.Heading);
    }

    [Theory]
    [InlineData("what's the weather today")]
    [InlineData("price of Azure VMs")]
    [InlineData("tell me a joke")]
    public async Task Question_OutOfScope_SaysItDidNotUnderstandAndListsWhatPorBotDoes(string question)
    {
        var reply = await NewChat().SayAsync(question);

        Assert.Contains("Sorry, I didn't understand that:", reply.Text, StringComparison.Ordinal);
        Assert.Contains(question, reply.Text, StringComparison.Ordinal);
        Assert.Contains("POR guide", reply.Text, StringComparison.Ordinal);
        Assert.Contains("Ask a POR question", reply.Text, StringComparison.Ordinal);
        Assert.Null(reply.Heading);
    }

    [Fact]
    public async Task Question_UnknownTopicButton_SaysTheButtonIsNoLongerValid()
    {
        var reply = await NewChat().ClickDataAsync(System.Text.Json.Nodes.JsonNode.Parse("""{"porTopic":"no-such-topic"}""")!);

        Assert.Contains("That button is no longer valid", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WelcomeCard_ListsTheGuideAndExampleQuestions_AndEachExampleGetsAnAnswer()
    {
        var chat = NewChat();
        var welcome = await chat.SayAsync("help");

        Assert.Contains("por guide", welcome.ButtonTitles);
        foreach (var example in GuidanceBotExtensions.QuestionExamples)
        {
            Assert.Contains(example, welcome.ButtonTitles);
            var answer = await chat.SayAsync(example);
            Assert.NotNull(answer.Heading);
        }
    }

    /// <summary>A labelled question the matcher answers by asking, so the test follows the matcher rather than a guess.</summary>
    private static (string Question, KnowledgeEntry Best, KnowledgeEntry RunnerUp) FindClarifyingQuestion()
    {
        foreach (var q in LabelledQuestionsTests.LoadQuestions())
        {
            var result = GuidanceFixture.Matcher.Match(q.Q);
            if (result.Decision == MatchDecision.Clarify && result.Products.Count + result.Programs.Count < 2)
                return (q.Q, result.Best!.Entry, result.RunnerUp!.Entry);
        }
        throw new InvalidOperationException("No labelled question makes the matcher clarify.");
    }
}
