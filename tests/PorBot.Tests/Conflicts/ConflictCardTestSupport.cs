using System.Net;
using System.Text.Json;
using PorBot.Conflicts;
using PorBot.Protocol.Activities;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>An Action.Execute button (or refresh) of a conflict card, as Teams would post it back.</summary>
internal sealed record CardButton(string? Title, string Verb, JsonElement Data);

/// <summary>Clicks on conflict cards, posted to /api/messages as Teams sends adaptiveCard/action invokes.</summary>
internal static class ConflictCardClicks
{
    /// <summary>A click by a user of <paramref name="tenantId"/> in <paramref name="conversationId"/>; <paramref name="inputs"/> are merged into the data as Teams does.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> ClickAsync(this BotTestHost bot, string verb, object? data, string? tenantId,
        string userAadObjectId = TestActivities.UserAadObjectId, string conversationId = "a:personal-chat-1", string userId = "29:user-1",
        IReadOnlyDictionary<string, string>? inputs = null, string trigger = "manual")
    {
        var merged = data is null ? null : JsonSerializer.SerializeToNode(data is JsonElement e ? e : ProtocolJson.ToElement(data))!.AsObject();
        foreach (var (name, value) in inputs ?? new Dictionary<string, string>()) merged![name] = value;
        var activity = TestActivities.Invoke(bot.Connector.ServiceUrl, "adaptiveCard/action",
            new { action = new { type = "Action.Execute", verb, data = merged }, trigger });
        activity.From!.AadObjectId = userAadObjectId;
        activity.From.Id = userId;
        activity.Conversation!.Id = conversationId;
        activity.ChannelData = tenantId is null ? null : JsonSerializer.SerializeToElement(new { tenant = new { id = tenantId } });
        using var response = await bot.PostActivityAsync(activity);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static async Task<JsonElement> ClickForCardAsync(this BotTestHost bot, CardButton button, string? tenantId,
        string userAadObjectId = TestActivities.UserAadObjectId, IReadOnlyDictionary<string, string>? inputs = null)
    {
        var (status, body) = await bot.ClickAsync(button.Verb, button.Data, tenantId, userAadObjectId, inputs: inputs);
        return ReplacementCard(status, body);
    }

    /// <summary>Asserts the invoke answer is HTTP 200 with a replacement card, and returns the card.</summary>
    public static JsonElement ReplacementCard(HttpStatusCode status, JsonElement body)
    {
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(200, body.GetProperty("statusCode").GetInt32());
        Assert.Equal("application/vnd.microsoft.card.adaptive", body.GetProperty("type").GetString());
        return body.GetProperty("value");
    }

    /// <summary>Every Action.Execute on the card, in card order, including those inside Action.ShowCard cards.</summary>
    public static IReadOnlyList<CardButton> Buttons(JsonElement card)
    {
        var found = new List<CardButton>();
        Walk(card);
        return found;

        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in e.EnumerateArray()) Walk(item);
                return;
            }

            if (e.ValueKind != JsonValueKind.Object) return;
            if (e.TryGetProperty("type", out var type) && type.GetString() == "Action.Execute")
            {
                found.Add(new CardButton(e.TryGetProperty("title", out var t) ? t.GetString() : null, e.GetProperty("verb").GetString()!,
                    e.TryGetProperty("data", out var d) ? d.Clone() : default));
            }

            foreach (var property in e.EnumerateObject())
            {
                if (property.Name != "refresh") Walk(property.Value);
            }
        }
    }

    public static CardButton Button(JsonElement card, string title) => Assert.Single(Buttons(card), b => b.Title == title);

    public static CardButton? Refresh(JsonElement card) =>
        card.TryGetProperty("refresh", out var refresh)
            ? new CardButton(null, refresh.GetProperty("action").GetProperty("verb").GetString()!, refresh.GetProperty("action").GetProperty("data").Clone())
            : null;

    public static string Text(JsonElement card) => CardView.Of(card).AllText;

    public static JsonElement CardOf(ConnectorRequest request)
    {
        var attachment = Assert.Single(request.Body!.Value.GetProperty("attachments").EnumerateArray());
        return attachment.GetProperty("content").Clone();
    }

    public static Task ValidAsync(JsonElement card, string name) => CardValidator.AssertValidAsync(card.GetRawText(), name);
}
