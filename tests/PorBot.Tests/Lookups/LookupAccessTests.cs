using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using PorBot.Lookups;

namespace PorBot.Tests.Lookups;

/// <summary>Who may see what: partners see their own POR records, others only that a partner is listed; operators see all; unmapped tenants see nothing.</summary>
public sealed class LookupAccessTests(LookupBotFixture fixture) : IClassFixture<LookupBotFixture>
{
    // Litware Inc: one subscription (EAS, Azure AD Premium), Fabrikam (5523456) is POR since 2025-05-21.
    private const string LitwareSubscription = "3f4a5b6c-7d8e-4f0a-9b1c-2d3e4f5a6b16";
    private const string LitwareTenant = "a4e5f6a7-b8c9-4da4-8e1f-3a4b5c6d7e25";

    private readonly BotTestHost _bot = fixture.Bot;

    public static TheoryData<string> WaysToAskForLitware => new()
    {
        $"lookup {LitwareSubscription}",
        $"lookup {LitwareTenant}",
        "lookup litware.com",
        "lookup Litware Inc",
        "lookup litware",
        "who is the partner of record for litware.com?",
        $"who is POR for subscription {LitwareSubscription}",
        "who is the partner of record for Litware Inc?",
    };

    [Theory]
    [MemberData(nameof(WaysToAskForLitware))]
    public async Task OtherPartnersCustomer_AnyWayOfAsking_ShowsOnlyThatAnotherPartnerIsListed(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text, Sample.ContosoTenant));

        Assert.Equal("Litware Inc", card.Texts[0]);
        var subscription = Assert.Single(card.Containers);
        Assert.Equal("Another partner is listed", subscription.Fact("Partner of Record"));
        Assert.Null(subscription.Fact("Since"));
        Assert.DoesNotContain("Fabrikam", card.Json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("5523456", card.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("21 May 2025", card.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("You are the Partner of Record", card.Texts);
        Assert.Contains(("Another partner is POR: what now?", LookupCards.AnotherPartnerListedQuestion), card.ImBacks);
    }

    [Theory]
    [MemberData(nameof(WaysToAskForLitware))]
    public async Task OwnCustomer_AnyWayOfAsking_ShowsPorInFullAndSaysItIsTheAsker(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text, Sample.FabrikamTenant));

        var subscription = Assert.Single(card.Containers);
        Assert.Equal("Fabrikam Consulting (5523456)", subscription.Fact("Partner of Record"));
        Assert.Equal("21 May 2025", subscription.Fact("Since"));
        Assert.Contains("You are the Partner of Record", subscription.Texts);
    }

    [Fact]
    public async Task CustomerWithTwoPartners_EachPartnerSeesOnlyItsOwnSubscriptionInFull()
    {
        var contoso = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.ContosoTenant));
        var fabrikam = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.FabrikamTenant));

        Assert.Equal("Contoso Cloud Partners (4412345)", Por(contoso, Sample.AdventureWorksAzure));
        Assert.Equal("Another partner is listed", Por(contoso, Sample.AdventureWorksOffice));
        Assert.DoesNotContain("Fabrikam", contoso.Json, StringComparison.Ordinal);

        Assert.Equal("Another partner is listed", Por(fabrikam, Sample.AdventureWorksAzure));
        Assert.Equal("Fabrikam Consulting (5523456)", Por(fabrikam, Sample.AdventureWorksOffice));
        Assert.DoesNotContain("Contoso", fabrikam.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThirdPartner_SeesBothSubscriptionsOnlyAsListed()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", Sample.NorthwindTenant));

        Assert.All(card.Containers, c => Assert.Equal("Another partner is listed", c.Fact("Partner of Record")));
        Assert.DoesNotContain("4412345", card.Json, StringComparison.Ordinal);
        Assert.DoesNotContain("5523456", card.Json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(Sample.UnmappedTenant)]
    [InlineData(Sample.ContosoTenant)]
    public async Task Operator_FromAnyTenant_SeesEveryPorInFull(string tenantId)
    {
        var card = CardView.Of(await _bot.AskAsync("lookup adventure-works.com", tenantId, Sample.OperatorAadObjectId));

        Assert.Equal("Contoso Cloud Partners (4412345)", Por(card, Sample.AdventureWorksAzure));
        Assert.Equal("Fabrikam Consulting (5523456)", Por(card, Sample.AdventureWorksOffice));
        Assert.Contains("You see every detail as a PorBot operator.", card.Texts);
        // An operator of a partner tenant is still told where they are POR themselves.
        Assert.Equal(tenantId == Sample.ContosoTenant ? 1 : 0, card.Texts.Count(t => t == "You are the Partner of Record"));
    }

    [Theory]
    [InlineData("lookup litware.com")]
    [InlineData("lookup nowhere.example")]
    [InlineData("lookup " + LitwareSubscription)]
    [InlineData("lookup 00000000-0000-4000-8000-000000000000")]
    [InlineData("lookup Litware")]
    [InlineData("lookup Qwertyuiop Holdings")]
    [InlineData("who is the partner of record for litware.com?")]
    [InlineData("partner Fabrikam")]
    [InlineData("partner Qwertyuiop")]
    public async Task UnmappedTenant_AnyLookup_GetsTheSameGuidanceCardWhetherOrNotTheCustomerExists(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text, Sample.UnmappedTenant));

        Assert.Equal("Lookups need a registered partner organisation", card.Texts[0]);
        Assert.Equal(Sample.UnmappedTenant, card.Fact("Your tenant id"));
        Assert.Contains((LookupCards.CheckWhoIsPorQuestion, LookupCards.CheckWhoIsPorQuestion), card.ImBacks);
        var reference = CardView.Of(await _bot.AskAsync("lookup nowhere.example", Sample.UnmappedTenant));
        Assert.Equal(reference.Json, card.Json);
    }

    [Fact]
    public async Task NoTenantAtAll_IsTreatedAsUnmapped()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup litware.com", tenantId: null));

        Assert.Equal("Lookups need a registered partner organisation", card.Texts[0]);
        Assert.Equal("not known", card.Fact("Your tenant id"));
    }

    [Theory]
    [InlineData("who is the partner of record for Litware Inc?")]
    [InlineData("who is the partner of record for Qwertyuiop Holdings?")]
    public async Task UnmappedTenant_NamePhrasing_GoesToFreeTextAnswersWithoutRevealingExistence(string text)
    {
        var fallback = CardView.Of(await _bot.AskAsync("tell me about the weather", Sample.UnmappedTenant));

        var card = CardView.Of(await _bot.AskAsync(text, Sample.UnmappedTenant));

        Assert.Equal(fallback.Texts[0], card.Texts[0]);
        Assert.DoesNotContain("registered partner organisation", card.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("partner is listed", card.AllText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mpn 4412345")]
    [InlineData("mpn 7654321")]
    public async Task UnmappedTenant_PartnerId_GetsTheFormatCheckOnly(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text, Sample.UnmappedTenant));

        Assert.Equal("The format is right (7 digits). A right format alone doesn't mean a partner has this ID.", card.Fact("Format"));
        Assert.StartsWith("Not checked: your organisation isn't registered", card.Fact("Registry"), StringComparison.Ordinal);
        Assert.DoesNotContain("Contoso", card.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Claimant_SeesThePorOfTheSubscriptionItClaims()
    {
        var litware = Guid.Parse(LitwareSubscription);
        await using var bot = await BotTestHost.StartAsync(services: s =>
            s.AddSingleton<IClaimantLookup>(new FixedClaims(("4412345", litware))));

        var card = CardView.Of(await bot.AskAsync("lookup litware.com", Sample.ContosoTenant));

        var subscription = Assert.Single(card.Containers);
        Assert.Equal("Fabrikam Consulting (5523456)", subscription.Fact("Partner of Record"));
        Assert.Contains("You have a claim on this subscription.", subscription.Texts);
        Assert.DoesNotContain("You are the Partner of Record", subscription.Texts);
    }

    [Theory]
    [InlineData("PorBot:Operators:0", "not-a-guid", "is not an Entra object id")]
    [InlineData("PorBot:PartnerAdmins:0", "admin@contoso.com", "PorBot:PartnerAdmins:0 ('admin@contoso.com') is not an Entra object id")]
    [InlineData("PorBot:LookupTimeout", "00:00:06", "at most 4.5 s")]
    public async Task Options_Invalid_StopStartUp(string key, string value, string message)
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => BotTestHost.StartAsync(settings: new Dictionary<string, string?> { [key] = value }));

        var validation = error as OptionsValidationException ?? error.InnerException as OptionsValidationException;
        Assert.NotNull(validation);
        Assert.Contains(message, validation.Message, StringComparison.Ordinal);
    }

    private static string? Por(CardView card, string subscriptionId) =>
        card.Containers.Single(c => c.Fact("Subscription") == subscriptionId).Fact("Partner of Record");

    /// <summary>Issue 5's claims, stood in for by a fixed list behind the same port.</summary>
    private sealed class FixedClaims(params (string PartnerId, Guid SubscriptionId)[] claims) : IClaimantLookup
    {
        public Task<IReadOnlySet<Guid>> GetClaimedSubscriptionsAsync(string partnerId, IReadOnlyCollection<Guid> subscriptionIds, CancellationToken cancellationToken) =>
            Task.FromResult<IReadOnlySet<Guid>>(claims.Where(c => c.PartnerId == partnerId && subscriptionIds.Contains(c.SubscriptionId)).Select(c => c.SubscriptionId).ToHashSet());
    }
}
