using System.Text;
using PorBot.Conflicts;
using PorBot.Guidance;
using PorBot.Lookups;
using PorBot.Protocol.Cards;
using PorBot.Testing;
using PorBot.Tests.Lookups;

namespace PorBot.Tests.Conflicts;

/// <summary>Every conflict card: snapshots of the views people see, the official validator, and the Teams size limit.</summary>
public sealed class ConflictCardTests
{
    private const int MaxCardBytes = 28 * 1024;

    private static readonly Guid ConflictId = Guid.Parse("c0ff1c70-0000-4000-8000-000000000001");
    private static readonly Guid DeliveryKey = Guid.Parse("de11e7e0-0000-4000-8000-000000000002");
    private static readonly Guid FabrikamClaim = Guid.Parse("c1a10000-0000-4000-8000-000000000003");
    private static readonly DateTimeOffset Opened = new(2026, 3, 2, 9, 15, 0, TimeSpan.Zero);
    private static readonly KnowledgeBase Knowledge = KnowledgeBase.LoadEmbedded();

    private static readonly SubscriptionRecord AdventureWorksAzure = new(
        Claims.ContosoHeld, "Adventure Works", Guid.Parse("c0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a21"), "adventure-works.com",
        PurchaseProgram.EA, Product.Azure, Claims.Contoso, "Contoso Cloud Partners", new DateOnly(2025, 3, 14), new Provenance("sqlite", Opened, Opened));

    private static readonly Dictionary<string, string> Names = new()
    {
        [Claims.Contoso] = "Contoso Cloud Partners",
        [Claims.Fabrikam] = "Fabrikam Consulting",
    };

    private static readonly ConflictProof FabrikamProof = new(Guid.Parse("9f000000-0000-4000-8000-000000000004"), Claims.Fabrikam,
        "Migrating 40 mailboxes since March; weekly calls with [their IT](https://evil.example).", "https://fabrikam.example/status/adventure-works", Opened.AddDays(2));

    private static readonly ConflictProof ContosoProof = new(Guid.Parse("9f000000-0000-4000-8000-000000000005"), Claims.Contoso,
        "Running their Azure landing zone since 2025.", null, Opened.AddDays(3));

    private static ConflictState Open(ClaimStatus claim = ClaimStatus.Active) =>
        new(ConflictId, Claims.ContosoHeld, Claims.Contoso, ConflictStatus.Open, null, 1, [new ClaimantState(FabrikamClaim, Claims.Fabrikam, claim, Opened)]);

    private static ConflictCardModel Model(ConflictState conflict, string? viewer, params ConflictProof[] proofs) =>
        new(conflict, AdventureWorksAzure, Names, proofs, viewer, DeliveryKey, viewer == Claims.Contoso ? ["29:contoso-megan"] : []);

    private static readonly ConflictState Resolved =
        Open() with { Status = ConflictStatus.Resolved, WinnerPartnerId = Claims.Fabrikam, Version = 2, Claimants = [new ClaimantState(FabrikamClaim, Claims.Fabrikam, ClaimStatus.Won, Opened)] };

    private static readonly ConflictState Withdrawn =
        Open() with { Status = ConflictStatus.Resolved, WinnerPartnerId = Claims.Contoso, Version = 2, Claimants = [new ClaimantState(FabrikamClaim, Claims.Fabrikam, ClaimStatus.Withdrawn, Opened)] };

    /// <summary>The views the issue asks to see, by snapshot name.</summary>
    private static IEnumerable<(string Name, AdaptiveCard Card)> SnapshotCards() =>
    [
        ("conflict-open-as-por", AlertCards.Conflict(Model(Open(), Claims.Contoso))),
        ("conflict-open-as-claimant", AlertCards.Conflict(Model(Open(), Claims.Fabrikam))),
        ("conflict-with-proof", AlertCards.Conflict(Model(Open(), Claims.Fabrikam, FabrikamProof, ContosoProof), new CardNotice(AddConflictProofHandler.Added))),
        ("conflict-resolved", AlertCards.Conflict(Model(Resolved, Claims.Contoso, ContosoProof))),
        ("conflict-proof-form-error", AlertCards.ProofForm(Model(Open(), Claims.Fabrikam),
            ClaimService.ProofProblems("", "http://not-secure.example"), "", "http://not-secure.example")),
        ("conflict-refusal", AlertCards.Refusal()),
    ];

    private static IEnumerable<(string Name, AdaptiveCard Card)> AllCards()
    {
        var guidance = new GuidanceCards(Knowledge);
        var manyProofs = Enumerable.Range(0, 40).Select(i => new ConflictProof(Guid.NewGuid(), i % 2 == 0 ? Claims.Contoso : Claims.Fabrikam,
            new string('w', ClaimService.MaxProofLength), "https://example.com/" + new string('p', ClaimService.MaxProofLinkLength - 20), Opened.AddHours(i))).ToArray();
        return SnapshotCards().Concat(
        [
            ("conflict-withdrawn", AlertCards.Conflict(Model(Withdrawn, Claims.Fabrikam))),
            ("conflict-operator", AlertCards.Conflict(Model(Open(), null, FabrikamProof, ContosoProof))),
            ("conflict-refused-withdraw", AlertCards.Conflict(Model(Open(), Claims.Contoso), new CardNotice(WithdrawConflictClaimHandler.ClaimantsOnly, IsProblem: true))),
            ("conflict-largest", AlertCards.Conflict(Model(Open(), null, manyProofs) with { RefreshUserIds = Enumerable.Range(0, 80).Select(i => $"29:user-{i}").ToList() })),
            ("conflict-proof-form", AlertCards.ProofForm(Model(Open(), Claims.Contoso), [])),
            ("conflict-steps", AlertCards.WithBackToConflict(guidance.Scenario(ConflictScenarios.Find(Knowledge, AdventureWorksAzure)!), Model(Open(), Claims.Contoso))),
            ("conflict-no-scenario", AlertCards.NoScenario(Model(Open(), Claims.Contoso) with { Subscription = AdventureWorksAzure with { Program = PurchaseProgram.CSP } },
                "Azure", "Cloud Solution Provider (CSP)",
                [new SubmitAction("Azure consumption", new GuidanceSubmit { PorTopic = "scenario-azure-consumption" })])),
        ]);
    }

    [Fact]
    public void ConflictCards_MatchTheirSnapshots()
    {
        foreach (var (name, card) in SnapshotCards()) Snapshot.Match(name, card.ToJson());
    }

    [Fact]
    public async Task EveryConflictCard_PassesTheOfficialValidator() => await CardValidator.AssertValidAsync(AllCards().ToList());

    [Fact]
    public void EveryConflictCard_IsUnderTheTeamsSizeLimit_AndTheLargestShowsOnlyTheLatestProofs()
    {
        foreach (var (name, card) in AllCards())
        {
            var bytes = Encoding.UTF8.GetByteCount(card.ToJson());
            Assert.True(bytes < MaxCardBytes, $"{name} is {bytes} bytes");
        }

        var largest = AllCards().Single(c => c.Name == "conflict-largest").Card;
        Assert.Equal(CardRefresh.MaxUserIds, largest.Refresh!.UserIds!.Count);
        Assert.Contains($"…and {40 - AlertCards.ProofsShown} earlier.", CardView.Of(System.Text.Json.JsonDocument.Parse(largest.ToJson()).RootElement).AllText, StringComparison.Ordinal);
    }

    [Fact]
    public void ProofText_IsShownVerbatimToItsOwnPartnerOnly()
    {
        var own = CardView.Of(System.Text.Json.JsonDocument.Parse(AlertCards.Conflict(Model(Open(), Claims.Fabrikam, FabrikamProof)).ToJson()).RootElement);
        var other = AlertCards.Conflict(Model(Open(), Claims.Contoso, FabrikamProof)).ToJson();

        Assert.Contains(own.Root.GetProperty("body").EnumerateArray(), e =>
            e.GetProperty("type").GetString() == "RichTextBlock" && e.GetProperty("inlines")[0].GetProperty("text").GetString() == FabrikamProof.Description);
        Assert.Contains("Proof added by **Fabrikam Consulting** on 2026-03-04 09:15 UTC", own.AllText, StringComparison.Ordinal);
        Assert.Contains("Proof added by **Fabrikam Consulting**", other, StringComparison.Ordinal);
        Assert.DoesNotContain("mailboxes", other, StringComparison.Ordinal);
        Assert.DoesNotContain("fabrikam.example", other, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistryProductsAndPrograms_MapToTheKnowledgeBase_ExceptCspWhichHasNoScenario()
    {
        foreach (var product in Enum.GetValues<Product>()) Assert.NotNull(ConflictScenarios.KnowledgeProduct(Knowledge, product));
        foreach (var program in Enum.GetValues<PurchaseProgram>())
            Assert.Equal(program != PurchaseProgram.CSP, ConflictScenarios.KnowledgeProgram(Knowledge, program) is not null);

        Assert.Equal("scenario-ea-online-services", ConflictScenarios.Find(Knowledge, AdventureWorksAzure with { Product = Product.Office365, Program = PurchaseProgram.EES })?.Id);
        Assert.Equal("scenario-azure-consumption", ConflictScenarios.Find(Knowledge, AdventureWorksAzure)?.Id);
        Assert.Null(ConflictScenarios.Find(Knowledge, AdventureWorksAzure with { Program = PurchaseProgram.CSP }));
    }
}
