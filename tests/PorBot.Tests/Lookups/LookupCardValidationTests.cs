using System.Text.Json;
using System.Text.RegularExpressions;
using PorBot.Testing;

namespace PorBot.Tests.Lookups;

/// <summary>Every kind of lookup card passes the official Adaptive Card validator; two are kept as reviewed snapshots.</summary>
public sealed partial class LookupCardValidationTests(LookupBotFixture fixture) : IClassFixture<LookupBotFixture>
{
    private readonly BotTestHost _bot = fixture.Bot;

    [Fact]
    public async Task EveryLookupCard_PassesTheOfficialValidator()
    {
        var cards = new List<(string Name, string Json)>();
        foreach (var (name, text, tenant, user) in new[]
        {
            ("customer-partner-view", "lookup adventure-works.com", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("customer-operator-view", "lookup adventure-works.com", Sample.UnmappedTenant, Sample.OperatorAadObjectId),
            ("customer-no-por", "who is POR for tailspintoys.com?", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("customer-choices", "lookup toys", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("customer-not-found", "lookup Adventure Wrks", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("guidance-only", "lookup litware.com", Sample.UnmappedTenant, TestActivities.UserAadObjectId),
            ("partner-id-known", "mpn 4412345", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("partner-id-unknown", "mpn 7654321", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("partner-id-invalid", "mpn 44-12345", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("partner-id-unmapped", "mpn 4412345", Sample.UnmappedTenant, TestActivities.UserAadObjectId),
            ("partner", "partner Fabrikam", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("partner-choices", "partner con", Sample.ContosoTenant, TestActivities.UserAadObjectId),
            ("partner-not-found", "partner Northwnd", Sample.ContosoTenant, TestActivities.UserAadObjectId),
        })
        {
            cards.Add((name, CardView.Of(await _bot.AskAsync(text, tenant, user)).Json));
        }

        foreach (var query in new[] { "Adventure", "toys", Sample.AdventureWorksAzure, "mpn 4412345", "mpn 1234", "partner con" })
        {
            var (_, body) = await _bot.SearchAsync(query);
            foreach (var attachment in body.GetProperty("composeExtension").GetProperty("attachments").EnumerateArray())
            {
                cards.Add(($"search-{query}", attachment.GetProperty("content").GetRawText()));
            }
        }

        Assert.Equal(13 + 8, cards.Count);
        await CardValidator.AssertValidAsync(cards);
        Snapshot.Match("lookup-customer-card", WithoutUpdateDate(cards[0].Json));
        Snapshot.Match("lookup-partner-id-unknown-card", cards[7].Json);
    }

    [Fact]
    public async Task CustomerCard_IsSmallEnoughForTeams()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup adventure-works.com"));

        Assert.True(card.Json.Length < 28_000, $"{card.Json.Length} characters");
        Assert.Equal(JsonValueKind.String, card.Root.GetProperty("fallbackText").ValueKind);
    }

    // The sample data is stamped with the time it was seeded.
    private static string WithoutUpdateDate(string json) => UpdateDate().Replace(json, "updated <date>");

    [GeneratedRegex(@"updated \d{1,2} [A-Z][a-z]{2} \d{4}")]
    private static partial Regex UpdateDate();
}
