using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PorBot.Conversations;
using PorBot.Guidance;
using PorBot.Storage.Sqlite;

namespace PorBot.Tests.Guidance;

/// <summary>One bot for the dialog tests; each test talks in its own conversation, so they cannot see each other.</summary>
public sealed class GuidanceBotFixture : IAsyncLifetime
{
    public BotTestHost Bot { get; private set; } = null!;

    public async Task InitializeAsync() => Bot = await BotTestHost.StartAsync();

    public async Task DisposeAsync() => await Bot.DisposeAsync();
}

/// <summary>The guided dialog through the real pipeline: every product × program, typed and clicked answers, navigation.</summary>
public sealed class GuidedDialogTests(GuidanceBotFixture fixture) : IClassFixture<GuidanceBotFixture>
{
    private const string EaScenario = "Deploying Office 365, Intune or Azure AD Premium bought under EA, EAS or CASA/EES";
    private const string PortalScenario = "Office 365, Intune or Dynamics CRM Online bought via the Microsoft Online Portal";
    private const string OpenScenario = "Office 365, Intune or Dynamics CRM Online bought via Open licensing";
    private const string AzureScenario = "Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA";

    private GuideChat NewChat() => GuideChat.Personal(fixture.Bot);

    public static TheoryData<string, string, string> EveryValidCombination => new()
    {
        { "Office 365", "Enterprise Agreement (EA)", EaScenario },
        { "Office 365", "Enterprise Subscription (EAS)", EaScenario },
        { "Office 365", "Campus and School Agreement (CASA/EES)", EaScenario },
        { "Office 365", "Microsoft Online Portal (MOSP)", PortalScenario },
        { "Office 365", "Open licensing", OpenScenario },
        { "Intune", "Enterprise Agreement (EA)", EaScenario },
        { "Intune", "Enterprise Subscription (EAS)", EaScenario },
        { "Intune", "Campus and School Agreement (CASA/EES)", EaScenario },
        { "Intune", "Microsoft Online Portal (MOSP)", PortalScenario },
        { "Intune", "Open licensing", OpenScenario },
        { "Azure AD Premium", "Enterprise Agreement (EA)", EaScenario },
        { "Azure AD Premium", "Enterprise Subscription (EAS)", EaScenario },
        { "Azure AD Premium", "Campus and School Agreement (CASA/EES)", EaScenario },
        { "Dynamics CRM Online", "Microsoft Online Portal (MOSP)", PortalScenario },
        { "Dynamics CRM Online", "Open licensing", OpenScenario },
        { "Azure", "Enterprise Agreement (EA)", AzureScenario },
        { "Azure", "Enterprise Subscription (EAS)", AzureScenario },
        { "Azure", "Campus and School Agreement (CASA/EES)", AzureScenario },
        { "Azure", "Microsoft Online Services Agreement (MOSA)", AzureScenario },
    };

    [Theory]
    [MemberData(nameof(EveryValidCombination))]
    public async Task Guide_ProductThenProgramClicked_ShowsThatScenario(string product, string program, string scenarioTitle)
    {
        var chat = NewChat();

        var step1 = await chat.SayAsync("por guide");
        Assert.Contains("What did the customer buy?", step1.Text, StringComparison.Ordinal);
        var step2 = await chat.ClickAsync(step1, product);
        Assert.Contains($"How did the customer buy **{product}**?", step2.Text, StringComparison.Ordinal);
        var scenario = await chat.ClickAsync(step2, program);

        Assert.Equal(scenarioTitle, scenario.Heading);
        Assert.Contains($"POR guide: {product} · {program}", scenario.Text, StringComparison.Ordinal);
        Assert.Contains("1. Check the fit", scenario.Text, StringComparison.Ordinal);
        Assert.Contains("**Today:**", scenario.Text, StringComparison.Ordinal);
        Assert.Contains("confirm on Partner Center", scenario.Text, StringComparison.Ordinal);
        Assert.Contains("Back", scenario.ButtonTitles);
    }

    [Theory]
    [InlineData("Azure AD Premium", new[] { "Enterprise Agreement (EA)", "Enterprise Subscription (EAS)", "Campus and School Agreement (CASA/EES)" })]
    [InlineData("Dynamics CRM Online", new[] { "Microsoft Online Portal (MOSP)", "Open licensing" })]
    [InlineData("Azure", new[] { "Enterprise Agreement (EA)", "Enterprise Subscription (EAS)", "Campus and School Agreement (CASA/EES)", "Microsoft Online Services Agreement (MOSA)" })]
    public async Task Guide_ProductChosen_OffersOnlyProgramsWithAScenario(string product, string[] programs)
    {
        var chat = NewChat();
        var step2 = await chat.ClickAsync(await chat.SayAsync("por guide"), product);

        Assert.Equal([.. programs, "Back", "Start over", "Cancel"], step2.ButtonTitles);
    }

    [Theory]
    [InlineData("azure", "EA", AzureScenario)]
    [InlineData("it's azrue", "e.a.", AzureScenario)]
    [InlineData("O365", "bought on open", OpenScenario)]
    [InlineData("entra id premium", "campus agreement", EaScenario)]
    [InlineData("CRM", "online portal", PortalScenario)]
    [InlineData("5", "4", AzureScenario)]
    public async Task Guide_AnswersTyped_WithSynonymsTyposAndNumbers_ShowTheScenario(string product, string program, string scenarioTitle)
    {
        var chat = NewChat();
        await chat.SayAsync("guide me");
        var step2 = await chat.SayAsync(product);
        Assert.Contains("Step 2 of 2", step2.Text, StringComparison.Ordinal);

        var scenario = await chat.SayAsync(program);

        Assert.Equal(scenarioTitle, scenario.Heading);
    }

    [Theory]
    [InlineData("por guide azure EA", AzureScenario)]
    [InlineData("guide me through o365 on open", OpenScenario)]
    public async Task Guide_StartedWithProductAndProgram_SkipsStraightToTheScenario(string text, string scenarioTitle)
    {
        var reply = await NewChat().SayAsync(text);

        Assert.Equal(scenarioTitle, reply.Heading);
    }

    [Fact]
    public async Task Guide_StartedWithProductOnly_AsksOnlyHowItWasBought()
    {
        var reply = await NewChat().SayAsync("por guide intune");

        Assert.Contains("How did the customer buy **Intune**?", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_ProgramTypedBeforeProduct_IsKeptForStepTwo()
    {
        var chat = NewChat();
        await chat.SayAsync("por guide");

        var step1 = await chat.SayAsync("EA");
        Assert.Contains("Noted: Enterprise Agreement (EA).", step1.Text, StringComparison.Ordinal);
        Assert.Contains("What did the customer buy?", step1.Text, StringComparison.Ordinal);
        var scenario = await chat.SayAsync("azure");

        Assert.Equal(AzureScenario, scenario.Heading);
    }

    [Fact]
    public async Task Guide_InvalidCombinationTyped_SaysThereIsNoScenarioAndOffersTheValidPrograms()
    {
        var chat = NewChat();
        await chat.SayAsync("por guide");
        await chat.SayAsync("azure");

        var reply = await chat.SayAsync("open");

        Assert.Null(reply.Heading);
        Assert.Contains("no scenario for **Azure** bought through **Open licensing**", reply.Text, StringComparison.Ordinal);
        Assert.Contains("Microsoft Online Services Agreement (MOSA)", reply.ButtonTitles);
        Assert.DoesNotContain("Open licensing", reply.ButtonTitles);
        // The choices on that card work: the guide is still on step 2 for Azure.
        var scenario = await chat.ClickAsync(reply, "Microsoft Online Services Agreement (MOSA)");
        Assert.Equal(AzureScenario, scenario.Heading);
    }

    [Fact]
    public async Task Guide_UnrecognisedTypedAnswer_AsksAgain()
    {
        var chat = NewChat();
        await chat.SayAsync("por guide");

        var reply = await chat.SayAsync("the blue one");

        Assert.Contains("I didn't recognise a product in that", reply.Text, StringComparison.Ordinal);
        Assert.Contains("What did the customer buy?", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_QuestionAskedMidGuide_IsAnsweredAndTheGuideWaits()
    {
        var chat = NewChat();
        await chat.SayAsync("por guide");

        var answer = await chat.SayAsync("what is proof of execution?");
        Assert.Equal("Proof of execution", answer.Heading);
        var step2 = await chat.SayAsync("intune");

        Assert.Contains("How did the customer buy **Intune**?", step2.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_BackTypedAndClicked_UndoesOneAnswerAtATime()
    {
        var chat = NewChat();
        await chat.SayAsync("por guide");
        await chat.SayAsync("azure");
        var scenario = await chat.SayAsync("EA");

        var step2 = await chat.ClickAsync(scenario, "Back");
        Assert.Contains("How did the customer buy **Azure**?", step2.Text, StringComparison.Ordinal);
        var step1 = await chat.SayAsync("go back");
        Assert.Contains("What did the customer buy?", step1.Text, StringComparison.Ordinal);
        var again = await chat.SayAsync("back");
        Assert.Contains("nothing to go back to", again.Text, StringComparison.Ordinal);

        var other = await chat.ClickAsync(await chat.SayAsync("crm"), "Open licensing");
        Assert.Equal(OpenScenario, other.Heading);
    }

    [Fact]
    public async Task Guide_StartOver_BeginsAgainAndOldButtonsNoLongerAct()
    {
        var chat = NewChat();
        var step1 = await chat.SayAsync("por guide");
        var step2 = await chat.ClickAsync(step1, "Azure");

        var restarted = await chat.SayAsync("start over");
        Assert.Contains("What did the customer buy?", restarted.Text, StringComparison.Ordinal);

        var stale = await chat.ClickAsync(step2, "Enterprise Agreement (EA)");
        Assert.Contains("That button is from another guide", stale.Text, StringComparison.Ordinal);
        Assert.Contains("What did the customer buy?", stale.Text, StringComparison.Ordinal);
        var clicked = await chat.ClickAsync(restarted, "Start over");
        Assert.Contains("What did the customer buy?", clicked.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_CancelTypedOrClicked_EndsTheGuide()
    {
        var chat = NewChat();
        var step1 = await chat.SayAsync("por guide");
        var step2 = await chat.ClickAsync(step1, "Office 365");

        var cancelled = await chat.ClickAsync(step2, "Cancel");
        Assert.Equal(GuidedDialog.CancelledText, cancelled.Text);
        // After cancelling, "EA" is a question again, not an answer to the guide.
        var afterwards = await chat.SayAsync("cancel");
        Assert.Contains("There is no POR guide running", afterwards.Text, StringComparison.Ordinal);
        var late = await chat.ClickAsync(step2, "Enterprise Agreement (EA)");
        Assert.Contains("belongs to a guide that has ended", late.Text, StringComparison.Ordinal);
        var fresh = await chat.ClickAsync(late, "Start my own POR guide");
        Assert.Contains("What did the customer buy?", fresh.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_StaleStepButton_IsNotActedOnAndShowsTheCurrentStep()
    {
        var chat = NewChat();
        var step1 = await chat.SayAsync("por guide");
        await chat.ClickAsync(step1, "Azure");

        var stale = await chat.ClickAsync(step1, "Intune");

        Assert.Contains("That button is from an earlier step, so I didn't act on it", stale.Text, StringComparison.Ordinal);
        Assert.Contains("How did the customer buy **Azure**?", stale.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_ForgedClickData_IsNotActedOn()
    {
        var chat = NewChat();
        var step1 = await chat.SayAsync("por guide");
        var data = step1.ButtonData("Azure");
        data["porGuide"]!["value"] = "not-a-product";

        var reply = await chat.ClickDataAsync(data);

        Assert.Contains("I couldn't read that choice", reply.Text, StringComparison.Ordinal);
        Assert.Contains("What did the customer buy?", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_MalformedClickData_GetsTheNotUnderstoodCard()
    {
        var reply = await NewChat().ClickDataAsync(JsonNode.Parse("""{"porGuide": "not an object"}""")!);

        Assert.Contains("Sorry, I didn't understand that", reply.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_TwoUsersInOneGroupChat_EachHaveTheirOwnGuide()
    {
        var conversation = "19:" + Guid.NewGuid().ToString("N") + "@thread.v2";
        var megan = new GuideChat(fixture.Bot, conversation, "29:megan", "aad-megan", group: true);
        var alex = new GuideChat(fixture.Bot, conversation, "29:alex", "aad-alex", group: true);

        await megan.SayAsync("por guide");
        var alexStep1 = await alex.SayAsync("por guide");
        await megan.SayAsync("azure");
        var alexStep2 = await alex.ClickAsync(alexStep1, "Dynamics CRM Online");
        Assert.Contains("How did the customer buy **Dynamics CRM Online**?", alexStep2.Text, StringComparison.Ordinal);

        var meganScenario = await megan.SayAsync("EA");
        var alexScenario = await alex.SayAsync("open");
        Assert.Equal(AzureScenario, meganScenario.Heading);
        Assert.Equal(OpenScenario, alexScenario.Heading);

        // Alex clicking Megan's card does not move Megan's guide (or start one for Alex).
        var meganCard = await megan.SayAsync("back");
        var intruder = await alex.ClickAsync(meganCard, "Enterprise Subscription (EAS)");
        Assert.Contains("That button is from another guide", intruder.Text, StringComparison.Ordinal);
        var meganAgain = await megan.ClickAsync(meganCard, "Enterprise Subscription (EAS)");
        Assert.Equal(AzureScenario, meganAgain.Heading);
        Assert.Contains("Azure · Enterprise Subscription (EAS)", meganAgain.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GroupChat_MessageWithoutMention_IsIgnored_AndWithMentionIsAnswered()
    {
        var chat = new GuideChat(fixture.Bot, "19:" + Guid.NewGuid().ToString("N") + "@thread.v2", group: true);

        await chat.AssertIgnoredAsync("how do I get POR on an EA azure sub?", mention: false);
        await chat.AssertIgnoredAsync("help", mention: false);
        var answer = await chat.SayAsync("how do I get POR on an EA azure sub?");

        Assert.Equal(AzureScenario, answer.Heading);
    }

    [Fact]
    public async Task ChannelMessage_WithoutMention_IsIgnored()
    {
        var chat = new GuideChat(fixture.Bot, "19:" + Guid.NewGuid().ToString("N") + "@thread.tacv2", group: true);
        var activity = TestActivities.Message(fixture.Bot.Connector.ServiceUrl, "por guide", chat.ConversationId);
        activity.Conversation!.ConversationType = "channel";

        using var response = await fixture.Bot.PostActivityAsync(activity);

        response.EnsureSuccessStatusCode();
        Assert.DoesNotContain(fixture.Bot.Connector.Activities, a => a.ConversationId == chat.ConversationId);
    }

    [Fact]
    public async Task PersonalChat_NeedsNoMention()
    {
        var reply = await NewChat().SayAsync("por guide");

        Assert.Contains("What did the customer buy?", reply.Text, StringComparison.Ordinal);
    }
}

/// <summary>Dialog state outlives the bot process and survives two requests racing for the same user.</summary>
public sealed class GuidedDialogPersistenceTests
{
    [Fact]
    public async Task Guide_BotRestartedMidDialog_ResumesWhereTheUserWas()
    {
        GuideChat chat;
        Reply step2;
        string databasePath;
        await using (var first = await BotTestHost.StartAsync())
        {
            databasePath = first.DatabasePath;
            chat = GuideChat.Personal(first);
            step2 = await chat.ClickAsync(await chat.SayAsync("por guide"), "Azure");
        }

        await using var second = await BotTestHost.StartAsync(databasePath: databasePath);
        chat.Bot = second;

        // A button on the card sent before the restart still works, and so does typing.
        var scenario = await chat.ClickAsync(step2, "Microsoft Online Services Agreement (MOSA)");
        Assert.Equal("Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA", scenario.Heading);
        var back = await chat.SayAsync("back");
        Assert.Contains("How did the customer buy **Azure**?", back.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Guide_AnotherRequestSavedFirst_AnswersFromTheStateThatRequestLeft()
    {
        RacingDialogStateStore? racing = null;
        await using var bot = await BotTestHost.StartAsync(services: s => s.AddSingleton<IDialogStateStore>(sp =>
            racing = new RacingDialogStateStore(new SqliteDialogStateStore(sp.GetRequiredService<SqliteDatabase>(), TimeProvider.System))));
        var chat = GuideChat.Personal(bot);
        var step1 = await chat.SayAsync("por guide");

        // While this click for Azure is being handled, another request (a click on a second device) picks Intune.
        racing!.BeforeNextUpdate = state => state.Next("intune", null);
        var reply = await chat.ClickAsync(step1, "Azure");

        Assert.Equal(1, racing.LostSaves);
        Assert.Contains("That button is from an earlier step", reply.Text, StringComparison.Ordinal);
        Assert.Contains("How did the customer buy **Intune**?", reply.Text, StringComparison.Ordinal);
    }

    /// <summary>The real store, with another request's save slipped in just before the next update.</summary>
    private sealed class RacingDialogStateStore(IDialogStateStore inner) : IDialogStateStore
    {
        public Func<GuideState, GuideState>? BeforeNextUpdate { get; set; }

        public int LostSaves { get; private set; }

        public Task<VersionedDialogState?> GetAsync(DialogKey key, CancellationToken cancellationToken) => inner.GetAsync(key, cancellationToken);

        public async Task<bool> TrySaveAsync(DialogKey key, JsonElement state, long expectedVersion, CancellationToken cancellationToken)
        {
            if (BeforeNextUpdate is { } race && expectedVersion > 0)
            {
                BeforeNextUpdate = null;
                var current = GuideState.From(await inner.GetAsync(key, cancellationToken))!;
                Assert.True(await inner.TrySaveAsync(key, race(current).ToJson(), expectedVersion, cancellationToken));
            }
            var saved = await inner.TrySaveAsync(key, state, expectedVersion, cancellationToken);
            if (!saved) LostSaves++;
            return saved;
        }

        public Task DeleteAsync(DialogKey key, CancellationToken cancellationToken) => inner.DeleteAsync(key, cancellationToken);
    }
}
