using System.Net;
using System.Text.Json;
using PorBot.Protocol.Activities;

namespace PorBot.Tests.Lookups;

/// <summary>The sample data (src/PorBot/Storage/SampleRegistry.cs) as the lookup tests use it.</summary>
internal static class Sample
{
    // Partner tenants: the user's tenant decides who they are.
    public const string ContosoTenant = TestActivities.UserTenantId; // partner 4412345
    public const string FabrikamTenant = "2a1b2c3d-8e9f-4a0b-8c1d-2e3f4a5b6c02"; // partner 5523456
    public const string NorthwindTenant = "3b2c3d4e-9f0a-4b1c-9d2e-3f4a5b6c7d03"; // partner 6634567
    public const string UnmappedTenant = "9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a";

    public const string OperatorAadObjectId = "0a0b0c0d-1e1f-4a2b-8c3d-4e5f6a7b8c9d";

    // Adventure Works: Azure (EA) with Contoso as POR, Office 365 (EA) with Fabrikam as POR.
    public const string AdventureWorksTenant = "c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21";
    public const string AdventureWorksAzure = "8a9b0c1d-2e3f-4a5b-8c6d-7e8f9a0b1c11";
    public const string AdventureWorksOffice = "9b0c1d2e-3f4a-4b6c-9d7e-8f9a0b1c2d12";

    // Woodgrove Bank: Azure (MOSA), Northwind is POR.
    public const string WoodgroveAzure = "0c1d2e3f-4a5b-4c7d-8e8f-9a0b1c2d3e13";

    // Tailspin Toys: Office 365 (Open), no POR. Wingtip Toys: Azure (CSP), Northwind is POR.
    public const string TailspinTenant = "e2c3d4e5-f6a7-4b82-8c9d-1e2f3a4b5c23";
    public const string WingtipTenant = "b5f6a7b8-c9d0-4e1f-8a2b-3c4d5e6f7a26";

    public static readonly IReadOnlyDictionary<string, string?> OperatorSettings = new Dictionary<string, string?>
    {
        ["PorBot:Operators:0"] = OperatorAadObjectId,
    };
}

internal static class LookupConversation
{
    /// <summary>Sends a message as a user of <paramref name="tenantId"/> and returns the bot's one reply.</summary>
    public static async Task<Activity> AskAsync(this BotTestHost bot, string text, string? tenantId = Sample.ContosoTenant,
        string userAadObjectId = TestActivities.UserAadObjectId)
    {
        bot.Connector.Reset();
        using var response = await bot.PostActivityAsync(TestActivities.Message(bot.Connector.ServiceUrl, text, tenantId: tenantId, userAadObjectId: userAadObjectId));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var replies = await bot.Connector.WaitForActivitiesAsync(1);
        Assert.Single(replies);
        return replies[0].Activity!;
    }

    /// <summary>Sends an invoke as a user of <paramref name="tenantId"/>; returns the HTTP status and the JSON body.</summary>
    public static async Task<(HttpStatusCode Status, JsonElement Body)> InvokeAsync(this BotTestHost bot, string name, object value,
        string? tenantId = Sample.ContosoTenant, string userAadObjectId = TestActivities.UserAadObjectId)
    {
        var activity = TestActivities.Invoke(bot.Connector.ServiceUrl, name, value);
        activity.From!.AadObjectId = userAadObjectId;
        activity.ChannelData = tenantId is null ? null : JsonSerializer.SerializeToElement(new { tenant = new { id = tenantId } });
        using var response = await bot.PostActivityAsync(activity);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public static Task<(HttpStatusCode Status, JsonElement Body)> SearchAsync(this BotTestHost bot, string query, int? skip = null, int? count = null,
        string? tenantId = Sample.ContosoTenant, string userAadObjectId = TestActivities.UserAadObjectId) =>
        bot.InvokeAsync("composeExtension/query", new
        {
            commandId = "lookup",
            parameters = new[] { new { name = "query", value = query } },
            queryOptions = new { skip = skip ?? 0, count = count ?? 25 },
        }, tenantId, userAadObjectId);
}

/// <summary>Reads what a user would see on a card: every text, fact and button.</summary>
internal sealed class CardView
{
    private CardView(JsonElement root) => Root = root;

    public JsonElement Root { get; }

    public string Json => Root.GetRawText();

    public static CardView Of(Activity activity)
    {
        var attachment = Assert.Single(activity.Attachments ?? []);
        Assert.Equal(Attachment.AdaptiveCardContentType, attachment.ContentType);
        return new CardView(JsonSerializer.SerializeToElement(attachment.Content, ProtocolJson.Options));
    }

    public static CardView Of(JsonElement card) => new(card);

    /// <summary>TextBlock texts, TextRun texts and facts ("title: value"), in card order.</summary>
    public IReadOnlyList<string> Texts => Walk(Root).ToList();

    public string AllText => string.Join("\n", Texts);

    /// <summary>The facts of the whole card (later duplicates win).</summary>
    public IReadOnlyList<(string Title, string Value)> Facts => FactsIn(Root).ToList();

    /// <summary>(title, posted text) of every imBack button.</summary>
    public IReadOnlyList<(string Title, string Text)> ImBacks => Buttons(Root).ToList();

    /// <summary>The containers of the card body, one per subscription / choice.</summary>
    public IReadOnlyList<CardView> Containers =>
        Root.GetProperty("body").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "Container").Select(e => new CardView(e)).ToList();

    public string? Fact(string title) => Facts.Where(f => f.Title == title).Select(f => f.Value).FirstOrDefault();

    private static IEnumerable<string> Walk(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var type = e.TryGetProperty("type", out var t) ? t.GetString() : null;
                if (type is "TextBlock" or "TextRun") yield return e.GetProperty("text").GetString()!;
                if (type == "FactSet")
                {
                    foreach (var f in e.GetProperty("facts").EnumerateArray())
                        yield return $"{f.GetProperty("title").GetString()}: {f.GetProperty("value").GetString()}";
                    yield break;
                }

                foreach (var p in e.EnumerateObject())
                    if (p.Name != "fallbackText")
                        foreach (var s in Walk(p.Value)) yield return s;
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray())
                    foreach (var s in Walk(item)) yield return s;
                break;
        }
    }

    private static IEnumerable<(string, string)> FactsIn(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("type", out var t) && t.GetString() == "FactSet")
            {
                foreach (var f in e.GetProperty("facts").EnumerateArray()) yield return (f.GetProperty("title").GetString()!, f.GetProperty("value").GetString()!);
                yield break;
            }

            foreach (var p in e.EnumerateObject())
                foreach (var f in FactsIn(p.Value)) yield return f;
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
                foreach (var f in FactsIn(item)) yield return f;
        }
    }

    private static IEnumerable<(string, string)> Buttons(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.Object)
        {
            if (e.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object &&
                data.TryGetProperty("msteams", out var msteams) && msteams.GetProperty("type").GetString() == "imBack")
            {
                yield return (e.GetProperty("title").GetString()!, msteams.GetProperty("value").GetString()!);
                yield break;
            }

            foreach (var p in e.EnumerateObject())
                foreach (var b in Buttons(p.Value)) yield return b;
        }
        else if (e.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in e.EnumerateArray())
                foreach (var b in Buttons(item)) yield return b;
        }
    }
}
