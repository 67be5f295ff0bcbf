using PorBot.Guidance;
using PorBot.Lookups;
using PorBot.Tests.Guidance;

namespace PorBot.Tests.Lookups;

/// <summary>The "what next" buttons post a guidance question: each must get a confident answer on the right topic.</summary>
public sealed class NextStepQuestionTests
{
    private static readonly Provenance Source = new("sqlite", DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch);

    public static TheoryData<PurchaseProgram, Product, string> NoPorOfferings => new()
    {
        { PurchaseProgram.EA, Product.Azure, "scenario-azure-consumption" },
        { PurchaseProgram.MOSA, Product.Azure, "scenario-azure-consumption" },
        { PurchaseProgram.EA, Product.Office365, "scenario-ea-online-services" },
        { PurchaseProgram.EAS, Product.AADP, "scenario-ea-online-services" },
        { PurchaseProgram.CASA, Product.Intune, "scenario-ea-online-services" },
        { PurchaseProgram.MOSP, Product.Intune, "scenario-online-portal" },
        { PurchaseProgram.Open, Product.Office365, "scenario-open" },
        { PurchaseProgram.Open, Product.DynamicsCRMOnline, "scenario-open" },
    };

    [Theory]
    [MemberData(nameof(NoPorOfferings))]
    public void NextStep_NoPartnerListed_AsksHowToBecomePorForThatOffering(PurchaseProgram program, Product product, string expectedEntry)
    {
        var question = LookupCards.NextStepQuestion(View(program, product, PorStatus.NoneListed, callerIsPor: false));

        var match = GuidanceFixture.Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, match.Decision);
        Assert.Equal(expectedEntry, match.Best!.Entry.Id);
    }

    [Theory]
    [InlineData(PorStatus.ListedHidden, false, "another-partner-listed")]
    [InlineData(PorStatus.ListedVisible, true, "proof-of-execution")]
    public void NextStep_PartnerListed_AsksTheMatchingTopic(PorStatus status, bool callerIsPor, string expectedEntry)
    {
        var question = LookupCards.NextStepQuestion(View(PurchaseProgram.EA, Product.Azure, status, callerIsPor));

        var match = GuidanceFixture.Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, match.Decision);
        Assert.Equal(expectedEntry, match.Best!.Entry.Id);
    }

    [Theory]
    [InlineData(LookupCards.CheckWhoIsPorQuestion, "check-who-is-por")]
    [InlineData(LookupCards.WhyPorMattersQuestion, "why-por-matters")]
    [InlineData(LookupCards.FindPartnerIdQuestion, "partner-id-format")]
    public void FixedGuidanceButtons_GetAConfidentAnswer(string question, string expectedEntry)
    {
        var match = GuidanceFixture.Matcher.Match(question);

        Assert.Equal(MatchDecision.Answer, match.Decision);
        Assert.Equal(expectedEntry, match.Best!.Entry.Id);
    }

    [Fact]
    public void CustomerCard_SeveralSubscriptions_OffersTheFirstThreeDistinctNextStepsAndEverySource()
    {
        var older = new Provenance("partner-center", new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UnixEpoch);
        var newer = new Provenance("csv-import", new DateTimeOffset(2026, 5, 9, 0, 0, 0, TimeSpan.Zero), DateTimeOffset.UnixEpoch);
        SubscriptionView[] views =
        [
            View(PurchaseProgram.EA, Product.Azure, PorStatus.ListedVisible, callerIsPor: true),
            View(PurchaseProgram.EA, Product.Azure, PorStatus.ListedVisible, callerIsPor: true),
            View(PurchaseProgram.EA, Product.Azure, PorStatus.ListedHidden, callerIsPor: false),
            View(PurchaseProgram.Open, Product.Office365, PorStatus.NoneListed, callerIsPor: false),
            View(PurchaseProgram.MOSP, Product.Intune, PorStatus.NoneListed, callerIsPor: false),
        ];
        views = [.. views.Select((v, i) => v with { Subscription = v.Subscription with { Provenance = i == 2 ? newer : older } })];
        var found = new CustomerFound(new LookupCaller(CallerRole.Partner, null, "t"), LookupQuery.ForCustomer("contoso.com"), "Contoso",
            Guid.NewGuid(), "contoso.com", views);

        var json = System.Text.Json.JsonDocument.Parse(LookupCards.Customer(found).ToJson()).RootElement;

        var body = json.GetProperty("body").EnumerateArray().ToList();
        var buttons = body.Single(e => e.GetProperty("type").GetString() == "ActionSet").GetProperty("actions").EnumerateArray()
            .Select(a => a.GetProperty("data").GetProperty("msteams").GetProperty("value").GetString()).ToList();
        Assert.Equal([.. views.Select(LookupCards.NextStepQuestion).Distinct().Take(3)], buttons);
        Assert.Equal(3, buttons.Count);
        var source = body.Last().GetProperty("text").GetString();
        Assert.Equal("Source: partner-center, csv-import · updated 9 May 2026", source);
        Assert.EndsWith("you are Partner of Record for 2.", json.GetProperty("fallbackText").GetString(), StringComparison.Ordinal);
    }

    private static SubscriptionView View(PurchaseProgram program, Product product, PorStatus status, bool callerIsPor) =>
        new(new SubscriptionRecord(Guid.NewGuid(), "Customer", Guid.NewGuid(), null, program, product,
            status == PorStatus.ListedVisible ? "4412345" : null, null, null, Source), status, callerIsPor, false);
}
