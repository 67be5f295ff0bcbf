using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using PorBot.Lookups;
using PorBot.Testing;

namespace PorBot.Tests.Lookups;

/// <summary>The search message extension: request and response shapes as Teams sends and reads them (bot-protocol.md §5.4).</summary>
public sealed class LookupSearchExtensionTests(LookupBotFixture fixture) : IClassFixture<LookupBotFixture>
{
    private readonly BotTestHost _bot = fixture.Bot;

    [Fact]
    public async Task Query_CustomerName_ReturnsAListResultWithPreviewAndCard()
    {
        var (status, body) = await _bot.SearchAsync("Adventure");

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body.GetProperty("composeExtension");
        Assert.Equal("result", result.GetProperty("type").GetString());
        Assert.Equal("list", result.GetProperty("attachmentLayout").GetString());
        var attachment = Assert.Single(result.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        Assert.Equal("AdaptiveCard", attachment.GetProperty("content").GetProperty("type").GetString());
        var preview = attachment.GetProperty("preview");
        Assert.Equal("application/vnd.microsoft.card.thumbnail", preview.GetProperty("contentType").GetString());
        Assert.Equal("Adventure Works", preview.GetProperty("content").GetProperty("title").GetString());
        Assert.Equal("adventure-works.com · 2 subscriptions", preview.GetProperty("content").GetProperty("text").GetString());
        var tap = preview.GetProperty("content").GetProperty("tap");
        Assert.Equal("invoke", tap.GetProperty("type").GetString());
        Assert.Equal(Sample.AdventureWorksTenant, tap.GetProperty("value").GetProperty("lookup").GetString());
    }

    [Fact]
    public async Task Query_Paging_FollowsSkipAndCountInRegistryOrder()
    {
        var ranked = await _bot.GetRequiredService<IPorRegistry>().SearchCustomersAsync("toys", 10, CancellationToken.None);

        var first = Titles((await _bot.SearchAsync("toys", skip: 0, count: 1)).Body);
        var second = Titles((await _bot.SearchAsync("toys", skip: 1, count: 1)).Body);
        var beyond = Titles((await _bot.SearchAsync("toys", skip: 2, count: 1)).Body);
        var all = Titles((await _bot.SearchAsync("toys")).Body);

        Assert.Equal([ranked[0].CustomerName], first);
        Assert.Equal([ranked[1].CustomerName], second);
        Assert.Empty(beyond);
        Assert.Equal(ranked.Select(m => m.CustomerName), all);
    }

    [Fact]
    public async Task Query_SubscriptionId_ReturnsThatSubscriptionWithTheAskersView()
    {
        var (_, body) = await _bot.SearchAsync(Sample.AdventureWorksOffice);

        var preview = Assert.Single(Previews(body));
        Assert.Equal("Adventure Works", preview.GetProperty("title").GetString());
        Assert.Equal("adventure-works.com · Office 365 (EA) · POR: Another partner is listed", preview.GetProperty("text").GetString());
        Assert.Equal(Sample.AdventureWorksOffice, preview.GetProperty("tap").GetProperty("value").GetProperty("lookup").GetString());
        Assert.DoesNotContain("Fabrikam", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_OwnSubscription_PreviewNamesThePor()
    {
        var (_, body) = await _bot.SearchAsync(Sample.AdventureWorksAzure);

        Assert.Equal("adventure-works.com · Azure (EA) · POR: Contoso Cloud Partners (4412345) since 14 Mar 2025",
            Assert.Single(Previews(body)).GetProperty("text").GetString());
    }

    [Fact]
    public async Task Query_Domain_ReturnsTheCustomerAndSinglePageOnly()
    {
        var (_, body) = await _bot.SearchAsync("adventure-works.com");
        var (_, next) = await _bot.SearchAsync("adventure-works.com", skip: 25);

        Assert.Equal("adventure-works.com · 2 subscriptions · you are POR for 1", Assert.Single(Previews(body)).GetProperty("text").GetString());
        Assert.Empty(next.GetProperty("composeExtension").GetProperty("attachments").EnumerateArray());
    }

    [Theory]
    [InlineData("mpn 4412345", "Partner ID 4412345", "Contoso Cloud Partners (AU)")]
    [InlineData("4412345", "Partner ID 4412345", "Contoso Cloud Partners (AU)")]
    [InlineData("7654321", "Partner ID 7654321", "Not in PorBot's registry (the format is right, but that alone doesn't mean a partner has this ID)")]
    [InlineData("mpn 1234", "Not a partner ID", "A partner ID has 5 to 8 digits; this has 4. Check it for a missing or extra digit.")]
    public async Task Query_PartnerId_ReturnsTheCheck(string query, string title, string text)
    {
        var (_, body) = await _bot.SearchAsync(query);

        var preview = Assert.Single(Previews(body));
        Assert.Equal(title, preview.GetProperty("title").GetString());
        Assert.Equal(text.Replace("'", "&#39;", StringComparison.Ordinal), preview.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("who is the partner of record for adventure-works.com?", "Adventure Works")]
    [InlineData("who is POR for Tailspin Toys?", "Tailspin Toys")]
    [InlineData("whose mpn id is 6634567", "Partner ID 6634567")]
    public async Task Query_TypedAsAQuestion_SearchesForWhatItNames(string query, string title)
    {
        var (_, body) = await _bot.SearchAsync(query);

        Assert.Equal(title, Assert.Single(Previews(body)).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Query_PartnerName_ReturnsPartners()
    {
        var (_, body) = await _bot.SearchAsync("partner Northwind");

        var preview = Assert.Single(Previews(body));
        Assert.Equal("Northwind Solutions", preview.GetProperty("title").GetString());
        Assert.Equal("Partner ID 6634567 · US", preview.GetProperty("text").GetString());
        Assert.Equal("mpn 6634567", preview.GetProperty("tap").GetProperty("value").GetProperty("lookup").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task Query_Empty_ReturnsAHint(string query)
    {
        var (status, body) = await _bot.SearchAsync(query);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("message", body.GetProperty("composeExtension").GetProperty("type").GetString());
        Assert.Equal(LookupSearchHandler.Hint, body.GetProperty("composeExtension").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Query_InitialRun_ReturnsAHint()
    {
        var (status, body) = await _bot.InvokeAsync("composeExtension/query", new
        {
            commandId = "lookup",
            parameters = new[] { new { name = "initialRun", value = "true" } },
            queryOptions = new { skip = 0, count = 25 },
        });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(LookupSearchHandler.Hint, body.GetProperty("composeExtension").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Query_NothingMatches_SaysSoWithClosestNames()
    {
        var (_, body) = await _bot.SearchAsync("Adventure Xyzzy");

        Assert.Equal("message", body.GetProperty("composeExtension").GetProperty("type").GetString());
        Assert.Equal("Nothing in the registry matches \"Adventure Xyzzy\". Closest names: Adventure Works.",
            body.GetProperty("composeExtension").GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("litware.com")]
    [InlineData("Qwertyuiop")]
    [InlineData("partner Fabrikam")]
    public async Task Query_UnmappedTenant_GetsGuidanceOnlyWithNoRegistryData(string query)
    {
        var (status, body) = await _bot.SearchAsync(query, tenantId: Sample.UnmappedTenant);

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body.GetProperty("composeExtension");
        Assert.Equal("message", result.GetProperty("type").GetString());
        Assert.Equal($"Lookups need your organisation to be registered as a partner in PorBot. Ask your PorBot administrator to add your tenant id ({Sample.UnmappedTenant}).",
            result.GetProperty("text").GetString());
        Assert.False(result.TryGetProperty("attachments", out _));
    }

    [Fact]
    public async Task Query_UnknownCommandId_ReturnsAMessage()
    {
        var (status, body) = await _bot.InvokeAsync("composeExtension/query", new { commandId = "other", parameters = new[] { new { name = "query", value = "x" } } });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("message", body.GetProperty("composeExtension").GetProperty("type").GetString());
    }

    [Fact]
    public async Task Query_NoValue_IsABadRequest()
    {
        var activity = TestActivities.Invoke(_bot.Connector.ServiceUrl, "composeExtension/query");

        using var response = await _bot.PostActivityAsync(activity);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Query_AnswersFarInsideTheFiveSecondLimit()
    {
        await _bot.SearchAsync("warm up");
        var watch = Stopwatch.StartNew();

        await _bot.SearchAsync("toys");
        await _bot.SearchAsync(Sample.AdventureWorksTenant);
        await _bot.SearchAsync("Qwertyuiop Holdings");

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(1.5), $"three searches took {watch.Elapsed}");
    }

    [Fact]
    public async Task SelectItem_TappedCustomer_ReturnsACompactCardUnderTheAskersAccessRules()
    {
        var (_, search) = await _bot.SearchAsync("Adventure");
        var tapValue = Assert.Single(Previews(search)).GetProperty("tap").GetProperty("value");

        var (status, body) = await _bot.InvokeAsync("composeExtension/selectItem", tapValue);

        Assert.Equal(HttpStatusCode.OK, status);
        var result = body.GetProperty("composeExtension");
        Assert.Equal("result", result.GetProperty("type").GetString());
        var attachment = Assert.Single(result.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        Assert.False(attachment.GetProperty("preview").GetProperty("content").TryGetProperty("tap", out _));
        var card = CardView.Of(attachment.GetProperty("content"));
        Assert.Equal("Adventure Works", card.Texts[0]);
        Assert.Equal("Contoso Cloud Partners (4412345) since 14 Mar 2025 (you)", card.Fact("Azure (EA)"));
        Assert.Equal("Another partner is listed", card.Fact("Office 365 (EA)"));
        await CardValidator.AssertValidAsync(card.Json, "select-item-customer");
    }

    [Fact]
    public async Task SelectItem_SameValueFromAnotherPartner_ShowsThatPartnersView()
    {
        var (_, body) = await _bot.InvokeAsync("composeExtension/selectItem", new { lookup = Sample.AdventureWorksTenant }, Sample.FabrikamTenant);

        var card = CardView.Of(body.GetProperty("composeExtension").GetProperty("attachments")[0].GetProperty("content"));
        Assert.Equal("Another partner is listed", card.Fact("Azure (EA)"));
        Assert.Equal("Fabrikam Consulting (5523456) since 2 Nov 2024 (you)", card.Fact("Office 365 (EA)"));
    }

    [Fact]
    public async Task SelectItem_Partner_ReturnsThePartnerIdCard()
    {
        var (_, body) = await _bot.InvokeAsync("composeExtension/selectItem", new { lookup = "mpn 6634567" });

        var card = CardView.Of(body.GetProperty("composeExtension").GetProperty("attachments")[0].GetProperty("content"));
        Assert.Equal(["Partner ID 6634567", "Northwind Solutions (US)"], card.Texts);
    }

    [Fact]
    public async Task SelectItem_UnmappedTenant_GetsGuidanceOnly()
    {
        var (_, body) = await _bot.InvokeAsync("composeExtension/selectItem", new { lookup = Sample.AdventureWorksTenant }, Sample.UnmappedTenant);

        Assert.Equal("message", body.GetProperty("composeExtension").GetProperty("type").GetString());
        Assert.DoesNotContain("Adventure", body.GetRawText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Adventure Works")]
    [InlineData("")]
    public async Task SelectItem_ValueThatNoResultCarries_IsABadRequest(string lookup)
    {
        var (status, _) = await _bot.InvokeAsync("composeExtension/selectItem", new { lookup });

        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Query_NameWithHtml_IsHtmlEncodedInThePreviewAndVerbatimInTheCard()
    {
        const string name = "<b>Fourth</b> Coffee & Tea";
        await using var bot = await BotTestHost.StartAsync();
        await using (var connection = new SqliteConnection($"Data Source={bot.DatabasePath}"))
        {
            await connection.OpenAsync();
            await using var insert = connection.CreateCommand();
            insert.CommandText = """
                INSERT INTO subscriptions (subscription_id, customer_name, customer_tenant_id, customer_domain, program, product, por_partner_id, por_since, updated_at)
                VALUES ('5b6c7d8e-9f0a-4b1c-8d2e-3f4a5b6c7d18', $name, 'c6a7b8c9-d0e1-4f2a-9b3c-4d5e6f7a8b27', 'fourthcoffee.com', 'EA', 'Azure', NULL, NULL, '2026-01-01T00:00:00.0000000Z')
                """;
            insert.Parameters.AddWithValue("$name", name);
            await insert.ExecuteNonQueryAsync();
        }

        var (_, body) = await bot.SearchAsync("fourthcoffee.com");

        var attachment = Assert.Single(body.GetProperty("composeExtension").GetProperty("attachments").EnumerateArray());
        Assert.Equal("&lt;b&gt;Fourth&lt;/b&gt; Coffee &amp; Tea", attachment.GetProperty("preview").GetProperty("content").GetProperty("title").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("RichTextBlock", card.GetProperty("body")[0].GetProperty("type").GetString());
        Assert.Equal(name, card.GetProperty("body")[0].GetProperty("inlines")[0].GetProperty("text").GetString());
    }

    private static List<JsonElement> Previews(JsonElement body) =>
        body.GetProperty("composeExtension").GetProperty("attachments").EnumerateArray().Select(a => a.GetProperty("preview").GetProperty("content")).ToList();

    private static List<string> Titles(JsonElement body) => Previews(body).Select(p => WebUtility.HtmlDecode(p.GetProperty("title").GetString()!)).ToList();
}
