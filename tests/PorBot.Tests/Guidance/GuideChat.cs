using System.Text.Json;
using System.Text.Json.Nodes;
using PorBot.Protocol.Activities;
using PorBot.Tests.Pipeline;

namespace PorBot.Tests.Guidance;

/// <summary>
/// One user in one conversation, talking to the real bot: types messages (with the @mention Teams adds in
/// group chats) and clicks card buttons the way Teams posts an Action.Submit (a message whose value is the data).
/// </summary>
internal sealed class GuideChat(BotTestHost bot, string conversationId, string userId = "29:user-1",
    string aadObjectId = TestActivities.UserAadObjectId, bool group = false)
{
    public BotTestHost Bot { get; set; } = bot;

    public string ConversationId => conversationId;

    public static GuideChat Personal(BotTestHost bot) => new(bot, "a:personal-" + Guid.NewGuid().ToString("N"));

    public Task<Reply> SayAsync(string text, bool mention = true) => PostAsync(Message(mention && group ? $"<at>PorBot</at> {text}" : text, mention));

    /// <summary>Clicks the Action.Submit titled <paramref name="buttonTitle"/> on <paramref name="card"/> (which may be another user's card).</summary>
    public Task<Reply> ClickAsync(Reply card, string buttonTitle) => ClickDataAsync(card.ButtonData(buttonTitle));

    public Task<Reply> ClickDataAsync(JsonNode data)
    {
        var activity = Message("", mention: false);
        activity.Text = null;
        activity.Value = JsonSerializer.SerializeToElement(data);
        return PostAsync(activity);
    }

    /// <summary>Posts and returns the bot's one reply in this conversation.</summary>
    public async Task<Reply> PostAsync(Activity activity)
    {
        var before = RepliesHere().Count;
        using var response = await Bot.PostActivityAsync(activity);
        response.EnsureSuccessStatusCode();
        // The turn runs inside the request, so its replies have been posted by now.
        var replies = RepliesHere();
        Assert.True(replies.Count == before + 1, $"expected one reply, got {replies.Count - before}");
        return new Reply(replies[^1]);
    }

    /// <summary>Posts a message that must get no reply.</summary>
    public async Task AssertIgnoredAsync(string text, bool mention)
    {
        var before = RepliesHere().Count;
        using var response = await Bot.PostActivityAsync(Message(mention && group ? $"<at>PorBot</at> {text}" : text, mention));
        response.EnsureSuccessStatusCode();
        Assert.Equal(before, RepliesHere().Count);
    }

    private List<Activity> RepliesHere() =>
        Bot.Connector.Activities.Where(r => r.ConversationId == conversationId).Select(r => r.Activity!).ToList();

    private Activity Message(string text, bool mention)
    {
        var activity = TestActivities.Message(Bot.Connector.ServiceUrl, text, conversationId, userAadObjectId: aadObjectId, userId: userId);
        activity.Id = Guid.NewGuid().ToString("N");
        if (group)
        {
            activity.Conversation!.ConversationType = ConversationTypes.GroupChat;
            activity.Conversation.IsGroup = true;
            if (mention)
            {
                activity.Entities =
                [
                    new Entity { Type = "mention", Text = "<at>PorBot</at>", Mentioned = new ChannelAccount { Id = TestActivities.BotId, Name = "PorBot" } },
                ];
            }
        }
        return activity;
    }
}

/// <summary>A bot reply: its text, or its card as JSON, with ways to find what a user would read and click.</summary>
internal sealed class Reply(Activity activity)
{
    public Activity Activity { get; } = activity;

    public bool IsCard => Activity.Attachments is { Count: > 0 };

    public string CardJson => ConversationTests.CardJson(Activity);

    public JsonNode Card => JsonNode.Parse(CardJson)!;

    /// <summary>All the text a user reads: TextBlocks, TextRuns, facts and button titles (or the message text).</summary>
    public string Text => IsCard
        ? string.Join("\n", Strings(Card))
        : Activity.Text ?? "";

    public IReadOnlyList<string> ButtonTitles => Submits(Card).Select(a => a["title"]!.GetValue<string>()).ToList();

    public JsonNode ButtonData(string title)
    {
        var matches = Submits(Card).Where(a => a["title"]?.GetValue<string>() == title).ToList();
        Assert.True(matches.Count == 1, $"expected one button '{title}', found {matches.Count}; buttons: {string.Join(" | ", ButtonTitles)}");
        return matches[0]["data"]!.DeepClone();
    }

    /// <summary>The heading: the first TextBlock with style heading (scenario and topic cards).</summary>
    public string? Heading => Walk(Card).FirstOrDefault(n => n["style"]?.GetValue<string>() == "heading")?["text"]?.GetValue<string>();

    private static IEnumerable<JsonNode> Submits(JsonNode card) =>
        Walk(card).Where(n => n["type"]?.GetValue<string>() == "Action.Submit");

    private static IEnumerable<string> Strings(JsonNode card) =>
        Walk(card).SelectMany(n => new[] { "text", "title", "value" }
            .Select(k => n[k]).OfType<JsonValue>().Where(v => v.GetValueKind() == JsonValueKind.String).Select(v => v.GetValue<string>()));

    private static IEnumerable<JsonObject> Walk(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                yield return o;
                foreach (var (key, child) in o)
                {
                    if (key == "data") continue; // button payloads are not shown to users
                    foreach (var x in Walk(child)) yield return x;
                }
                break;
            case JsonArray a:
                foreach (var child in a)
                    foreach (var x in Walk(child)) yield return x;
                break;
        }
    }
}
