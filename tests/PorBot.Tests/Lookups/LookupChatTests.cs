using PorBot.Lookups;

namespace PorBot.Tests.Lookups;

/// <summary>Lookups in chat, as a user of Contoso Cloud Partners (partner 4412345) sees them.</summary>
public sealed class LookupChatTests(LookupBotFixture fixture) : IClassFixture<LookupBotFixture>
{
    private readonly BotTestHost _bot = fixture.Bot;

    [Fact]
    public async Task Lookup_SubscriptionIdWhereAskerIsPor_ShowsThatSubscriptionInFull()
    {
        var card = CardView.Of(await _bot.AskAsync($"lookup {Sample.AdventureWorksAzure}"));

        Assert.Equal("Adventure Works", card.Texts[0]);
        Assert.Contains("Customer, found by subscription id", card.Texts);
        var subscription = Assert.Single(card.Containers);
        Assert.Equal(Sample.AdventureWorksAzure, subscription.Fact("Subscription"));
        Assert.Equal("Enterprise Agreement (EA)", subscription.Fact("Program"));
        Assert.Equal("Azure", subscription.Fact("Product"));
        Assert.Equal("Contoso Cloud Partners (4412345)", subscription.Fact("Partner of Record"));
        Assert.Equal("14 Mar 2025", subscription.Fact("Since"));
        Assert.Contains("You are the Partner of Record", subscription.Texts);
        Assert.Contains(("What proof do I need?", LookupCards.ProofOfExecutionQuestion), card.ImBacks);
        Assert.Contains("Source: sqlite", card.AllText, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("lookup " + Sample.AdventureWorksTenant, "tenant id")]
    [InlineData("lookup adventure-works.com", "domain")]
    [InlineData("LOOKUP Adventure-Works.COM", "domain")]
    [InlineData("lookup https://adventure-works.com/contact", "domain")]
    [InlineData("lookup Adventure Works", "name")]
    [InlineData("look up adventure works", "name")]
    public async Task Lookup_TenantDomainOrName_ShowsEverySubscriptionOfTheCustomer(string text, string foundBy)
    {
        var card = CardView.Of(await _bot.AskAsync(text));

        Assert.Equal("Adventure Works", card.Texts[0]);
        Assert.Contains($"Customer, found by {foundBy}", card.Texts);
        Assert.Equal(Sample.AdventureWorksTenant, card.Fact("Customer tenant"));
        Assert.Equal(2, card.Containers.Count);
        Assert.Equal(2, card.Containers.Count(c => c.Fact("Subscription") is Sample.AdventureWorksAzure or Sample.AdventureWorksOffice));
    }

    [Fact]
    public async Task Lookup_CustomerWithoutPor_SaysNoneIsListedAndOffersHowToBecomePor()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup Tailspin"));

        Assert.Equal("Tailspin Toys", card.Texts[0]);
        Assert.Equal("No partner is listed", Assert.Single(card.Containers).Fact("Partner of Record"));
        Assert.Null(card.Fact("Since"));
        Assert.Contains(("How do I become POR?", "How do I become Partner of Record for an Open Office 365 subscription?"), card.ImBacks);
    }

    [Fact]
    public async Task Lookup_NameMatchingSeveralCustomers_ListsThemInRegistryOrderWithButtons()
    {
        var ranked = await _bot.GetRequiredService<IPorRegistry>().SearchCustomersAsync("toys", 10, CancellationToken.None);

        var card = CardView.Of(await _bot.AskAsync("lookup toys"));

        Assert.Equal(["Tailspin Toys", "Wingtip Toys"], ranked.Select(m => m.CustomerName).Order());
        Assert.Equal("2 customers match", card.Texts[0]);
        Assert.Equal(ranked.Select(m => m.CustomerName), card.Containers.Select(c => c.Texts[0]));
        Assert.Equal(ranked.Select(m => $"lookup {m.CustomerTenantId:D}"), card.ImBacks.Select(b => b.Text));
        Assert.Contains(("Show Wingtip Toys", $"lookup {Sample.WingtipTenant}"), card.ImBacks);
    }

    [Fact]
    public async Task Lookup_ListButtonClicked_ShowsThatCustomer()
    {
        var list = CardView.Of(await _bot.AskAsync("lookup toys"));
        var wingtip = list.ImBacks.Single(b => b.Title == "Show Wingtip Toys").Text;

        var card = CardView.Of(await _bot.AskAsync(wingtip));

        Assert.Equal("Wingtip Toys", card.Texts[0]);
        Assert.Equal("Another partner is listed", Assert.Single(card.Containers).Fact("Partner of Record"));
    }

    [Fact]
    public async Task Lookup_MisspelledName_FindsTheCustomer()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup Adventure Wrks"));

        Assert.Equal("Adventure Works", card.Texts[0]);
    }

    [Fact]
    public async Task Lookup_UnknownNameWithAKnownWord_SaysNoneAndOffersTheClosestNames()
    {
        var card = CardView.Of(await _bot.AskAsync("lookup Adventure Xyzzy"));

        Assert.Contains("No customer with a name like this is in the registry:", card.Texts);
        Assert.Contains("Adventure Xyzzy", card.Texts);
        Assert.Contains(("Adventure Works", $"lookup {Sample.AdventureWorksTenant}"), card.ImBacks);
    }

    [Theory]
    [InlineData("lookup 00000000-0000-4000-8000-000000000000", "No subscription or customer tenant with this id is in the registry:")]
    [InlineData("lookup nowhere.example", "No customer with this domain is in the registry:")]
    [InlineData("lookup Qwertyuiop Holdings", "No customer with a name like this is in the registry:")]
    public async Task Lookup_NothingMatches_SaysSoWithoutClaimingThereIsNoPor(string text, string message)
    {
        var card = CardView.Of(await _bot.AskAsync(text));

        Assert.Equal(message, card.Texts[0]);
        Assert.Contains("does not prove the customer has no Partner of Record", card.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(card.ImBacks, b => b.Text.StartsWith("lookup ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Lookup_UntrustedQuery_IsShownVerbatimNotAsMarkdown()
    {
        const string query = "**Evil** [click](https://evil.example)";

        var card = CardView.Of(await _bot.AskAsync($"lookup {query}"));

        var echoed = card.Root.GetProperty("body").EnumerateArray().First(e => e.GetProperty("type").GetString() == "RichTextBlock");
        Assert.Equal(query, echoed.GetProperty("inlines")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("lookup", "Tell me what to look up")]
    [InlineData("mpn", "Tell me the partner ID")]
    [InlineData("partner", "Tell me the partner's name")]
    public async Task Command_WithoutArgument_ExplainsWhatToType(string text, string expected)
    {
        var reply = await _bot.AskAsync(text);

        Assert.StartsWith(expected, reply.Text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("who is the partner of record for adventure-works.com?")]
    [InlineData("Who's POR on adventure-works.com")]
    [InlineData("adventure-works.com")]
    [InlineData("partner of record for adventure-works.com")]
    [InlineData("who is the partner of record for Adventure Works?")]
    [InlineData("does adventure works have a partner of record?")]
    [InlineData("who is POR for tenant " + Sample.AdventureWorksTenant)]
    public async Task NaturalPhrasing_NamingACustomer_AnswersWithTheCustomerCard(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text));

        Assert.Equal("Adventure Works", card.Texts[0]);
        Assert.Equal(2, card.Containers.Count);
    }

    [Fact]
    public async Task NaturalPhrasing_SubscriptionId_AnswersForThatSubscription()
    {
        var card = CardView.Of(await _bot.AskAsync($"who is POR for subscription {Sample.WoodgroveAzure}?"));

        Assert.Equal("Woodgrove Bank", card.Texts[0]);
        Assert.Equal(Sample.WoodgroveAzure, Assert.Single(card.Containers).Fact("Subscription"));
    }

    [Fact]
    public async Task NaturalPhrasing_MentionedInGroupChat_Answers()
    {
        _bot.Connector.Reset();
        await _bot.PostActivityAsync(TestActivities.GroupMention(_bot.Connector.ServiceUrl, "who is POR for tailspintoys.com?"));

        var reply = Assert.Single(await _bot.Connector.WaitForActivitiesAsync(1));
        Assert.Equal("Tailspin Toys", CardView.Of(reply.Activity!).Texts[0]);
    }

    [Theory]
    [InlineData("who is the partner of record for an EA Azure subscription?", "Driving Azure consumption for customers on EA, EAS, CASA/EES or MOSA")]
    [InlineData("partner of record for Office 365 bought through Open?", "Office 365, Intune or Dynamics CRM Online bought via Open licensing")]
    [InlineData("what is the difference between mpn id and partner id", "MPN ID is now the partner ID")]
    [InlineData("who is the partner of record for Qwertyuiop Holdings?", null)]
    public async Task QuestionThatIsNotALookup_GetsTheGuidanceAnswer(string text, string? expectedTitle)
    {
        var reply = CardView.Of(await _bot.AskAsync(text));

        // Not a lookup: the guidance answer for the question, or (for an unknown name) not a registry answer at all.
        if (expectedTitle is not null) Assert.Equal(expectedTitle, reply.Texts[0]);
        Assert.DoesNotContain("registry", reply.AllText, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Mpn_OwnPartnerId_SaysKnownAndThatItIsTheAskersOrganisation()
    {
        var card = CardView.Of(await _bot.AskAsync("mpn 4412345"));

        Assert.Equal("Partner ID 4412345", card.Texts[0]);
        Assert.Equal("The format is right (7 digits).", card.Fact("Format"));
        Assert.Equal("Known: Contoso Cloud Partners (AU)", card.Fact("Registry"));
        Assert.StartsWith("Not known", card.Fact("Global or location ID"), StringComparison.Ordinal);
        Assert.Contains("This is your organisation's partner ID.", card.Texts);
        Assert.Contains((LookupCards.FindPartnerIdQuestion, LookupCards.FindPartnerIdQuestion), card.ImBacks);
    }

    [Theory]
    [InlineData("whose mpn id is 5523456")]
    [InlineData("partner id #5523456")]
    [InlineData("MPN ID: 5523456")]
    [InlineData("5523456")]
    [InlineData("lookup mpn 5523456")]
    [InlineData("is 5523456 a valid partner id?")]
    public async Task PartnerId_AnotherPartnersId_ShowsPublicPartnerFacts(string text)
    {
        var card = CardView.Of(await _bot.AskAsync(text));

        Assert.Equal("Partner ID 5523456", card.Texts[0]);
        Assert.Equal("Known: Fabrikam Consulting (NZ)", card.Fact("Registry"));
        Assert.DoesNotContain("your organisation", card.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mpn_WellFormedButUnknown_NeverPresentsTheFormatAsExistence()
    {
        var card = CardView.Of(await _bot.AskAsync("mpn 7654321"));

        Assert.StartsWith("The format is right (7 digits). A right format alone doesn't mean a partner has this ID.", card.Fact("Format"), StringComparison.Ordinal);
        Assert.StartsWith("Not in PorBot's registry. That does not prove no partner has it", card.Fact("Registry"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mpn_UnusualLength_WarnsButStillChecksTheRegistry()
    {
        var card = CardView.Of(await _bot.AskAsync("mpn 12345"));

        Assert.Contains("5 digits is unusual", card.Fact("Format"), StringComparison.Ordinal);
        Assert.StartsWith("Not in PorBot's registry", card.Fact("Registry"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("mpn 1234", "this has 4")]
    [InlineData("mpn 123456789", "this has 9")]
    [InlineData("mpn 44-12345", "digits only")]
    public async Task Mpn_BadFormat_ExplainsAndDoesNotCheckTheRegistry(string text, string reason)
    {
        var card = CardView.Of(await _bot.AskAsync(text));

        Assert.Equal("Partner ID check", card.Texts[0]);
        Assert.Contains(reason, card.Fact("Format"), StringComparison.Ordinal);
        Assert.Equal("Not checked: the format is wrong.", card.Fact("Registry"));
        Assert.Null(card.Fact("Global or location ID"));
    }

    [Fact]
    public async Task Partner_NameWithOneMatch_ShowsThePartner()
    {
        var card = CardView.Of(await _bot.AskAsync("partner Fabrikam"));

        Assert.Equal("Fabrikam Consulting", card.Texts[0]);
        Assert.Equal("5523456", card.Fact("Partner ID"));
        Assert.Equal("NZ", card.Fact("Country"));
        Assert.DoesNotContain(Sample.FabrikamTenant, card.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partner_NameWithSeveralMatches_ListsThemWithMpnButtons()
    {
        var ranked = await _bot.GetRequiredService<IPorRegistry>().SearchPartnersAsync("con", 10, CancellationToken.None);

        var card = CardView.Of(await _bot.AskAsync("partner con"));

        Assert.True(ranked.Count >= 2);
        Assert.Equal(ranked.Select(p => p.Name), card.Containers.Select(c => c.Texts[0]));
        Assert.Equal(ranked.Select(p => $"mpn {p.PartnerId}"), card.ImBacks.Select(b => b.Text));
    }

    [Fact]
    public async Task Partner_MisspelledName_FindsThePartner()
    {
        var card = CardView.Of(await _bot.AskAsync("partner Northwnd"));

        Assert.Contains("Northwind Solutions", card.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain("No partner with a name like this", card.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Partner_NoMatch_OffersClosestNames()
    {
        var card = CardView.Of(await _bot.AskAsync("partner Northwind Xyzzy"));

        Assert.Equal("No partner with a name like this is in the registry:", card.Texts[0]);
        Assert.Contains(("Northwind Solutions", "mpn 6634567"), card.ImBacks);
    }

    [Fact]
    public async Task HelpCard_ListsLookupsWithExamples()
    {
        var card = CardView.Of(await _bot.AskAsync("help"));

        Assert.Contains("Look up a Partner of Record", card.Texts);
        Assert.Contains("Check a partner ID", card.Texts);
        Assert.Contains(("lookup adventure-works.com", "lookup adventure-works.com"), card.ImBacks);
        Assert.Contains(("mpn 4412345", "mpn 4412345"), card.ImBacks);
    }

    [Fact]
    public async Task HelpCard_EveryLookupExample_GetsALookupAnswer()
    {
        var examples = CardView.Of(await _bot.AskAsync("help")).ImBacks.Select(b => b.Text)
            .Where(t => t.StartsWith("lookup", StringComparison.Ordinal) || t.StartsWith("mpn", StringComparison.Ordinal) ||
                        t.StartsWith("partner", StringComparison.Ordinal) || t.StartsWith("who", StringComparison.OrdinalIgnoreCase))
            .ToList();

        Assert.Equal(6, examples.Count);
        foreach (var example in examples)
        {
            var card = CardView.Of(await _bot.AskAsync(example));
            Assert.DoesNotContain("didn't understand", card.AllText, StringComparison.Ordinal);
            Assert.DoesNotContain("No customer", card.AllText, StringComparison.Ordinal);
        }
    }
}
