using System.Net;
using System.Text.Json;
using PorBot.Protocol.Activities;
using PorBot.Testing;

namespace PorBot.Tests.Pipeline;

/// <summary>A first conversation as a user sees it: welcome on install, help, a friendly fallback.</summary>
public sealed class ConversationTests : IAsyncLifetime
{
    private BotTestHost _bot = null!;

    public async Task InitializeAsync() => _bot = await BotTestHost.StartAsync();

    public async Task DisposeAsync() => await _bot.DisposeAsync();

    [Fact]
    public async Task Install_BotAddedToPersonalChat_RepliesWithWelcomeCard()
    {
        using var response = await _bot.PostActivityAsync(TestActivities.BotAdded(_bot.Connector.ServiceUrl));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Equal("a:personal-chat-1", reply.ConversationId);
        var card = CardJson(reply.Activity!);
        Assert.Contains("PorBot", card, StringComparison.Ordinal);
        Assert.Contains("Partner of Record", card, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Install_OtherMemberAdded_SaysNothing()
    {
        var activity = TestActivities.BotAdded(_bot.Connector.ServiceUrl);
        activity.MembersAdded = [new ChannelAccount { Id = "29:someone-else" }];

        await _bot.PostActivityAsync(activity);
        await _bot.PostActivityAsync(TestActivities.Installation(_bot.Connector.ServiceUrl, "add"));

        await Task.Delay(200);
        Assert.Empty(_bot.Connector.Activities);
    }

    [Theory]
    [InlineData("help")]
    [InlineData("  HELP ")]
    [InlineData("hi")]
    public async Task Help_Typed_RepliesToTheMessageWithTheWelcomeCard(string text)
    {
        await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, text));

        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Equal("POST", reply.Method);
        Assert.Equal("1485983408511", reply.ActivityId);
        Assert.Equal(TestActivities.BotId, reply.Activity!.From!.Id);
        Assert.Equal("29:user-1", reply.Activity.Recipient!.Id);
        Assert.Contains("Partner of Record", CardJson(reply.Activity), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_MentionedInGroupChat_MentionIsStrippedAndHelpAnswers()
    {
        await _bot.PostActivityAsync(TestActivities.GroupMention(_bot.Connector.ServiceUrl, "help"));

        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Equal("19:group-chat@thread.v2", reply.ConversationId);
        Assert.Contains("Partner of Record", CardJson(reply.Activity!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_CardButtonPostBack_WithoutText_IsReadFromValue()
    {
        var activity = TestActivities.Message(_bot.Connector.ServiceUrl, "");
        activity.Value = JsonSerializer.SerializeToElement(new { msteams = new { type = "imBack", value = "help" } });

        await _bot.PostActivityAsync(activity);

        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Contains("Partner of Record", CardJson(reply.Activity!), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fallback_UnknownText_ShowsItVerbatimWithWhatPorBotCanDo()
    {
        const string text = "what's the weather **today** [click](https://evil.example)";
        await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, text));

        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        using var card = JsonDocument.Parse(CardJson(reply.Activity!));
        var echoed = card.RootElement.GetProperty("body").EnumerateArray()
            .Single(e => e.GetProperty("type").GetString() == "RichTextBlock");
        Assert.Equal(text, echoed.GetProperty("inlines")[0].GetProperty("text").GetString());
        Assert.Contains("help", card.RootElement.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryCardTheFirstConversationSends_PassesTheOfficialValidator()
    {
        await _bot.PostActivityAsync(TestActivities.BotAdded(_bot.Connector.ServiceUrl));
        await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, "help"));
        await _bot.PostActivityAsync(TestActivities.Message(_bot.Connector.ServiceUrl, "tell me a joke"));
        var replies = await _bot.Connector.WaitForActivitiesAsync(3);

        var cards = replies.Select(r => CardJson(r.Activity!)).ToList();
        await CardValidator.AssertValidAsync(cards.Select((c, i) => ($"reply-{i}", c)).ToList());
        Snapshot.Match("welcome-card", cards[0]);
        Snapshot.Match("not-understood-card", cards[2]);
    }

    internal static string CardJson(Activity activity)
    {
        var attachment = Assert.Single(activity.Attachments ?? []);
        Assert.Equal(Attachment.AdaptiveCardContentType, attachment.ContentType);
        return JsonSerializer.Serialize(attachment.Content, ProtocolJson.Options);
    }
}
