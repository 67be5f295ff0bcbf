using System.Text;
using PorBot.Guidance;
using PorBot.Protocol.Cards;
using PorBot.Testing;
using Xunit.Abstractions;

namespace PorBot.Tests.Guidance;

/// <summary>Every guidance card: official validation, snapshots of the scenario cards, phone-width renders, size.</summary>
public sealed class GuidanceCardTests(ITestOutputHelper output)
{
    // Teams allows 28 KB for a card message; stay well under it.
    private const int MaxCardBytes = 28 * 1024;
    private const int PhoneWidth = 400;

    private static readonly KnowledgeBase Knowledge = GuidanceFixture.Knowledge;
    private static readonly GuidanceCards Cards = new(Knowledge);

    /// <summary>Each scenario as the guide ends with it, for its first product and program.</summary>
    private static IEnumerable<(string Name, AdaptiveCard Card)> ScenarioCards() =>
        Knowledge.Scenarios.Select(s => ("guidance-" + s.Id,
            Cards.Scenario(s, GuideState.Start(s.Products[0], s.Programs[0]) with { DialogId = "snapshot0001" })));

    private static IEnumerable<(string Name, AdaptiveCard Card)> AllCards()
    {
        var atStart = GuideState.Start() with { DialogId = "snapshot0001" };
        var azure = atStart.Next("azure", null);
        return ScenarioCards()
            .Concat(Knowledge.Scenarios.Select(s => ("free-text-" + s.Id, Cards.Scenario(s))))
            .Concat(Knowledge.Topics.Select(t => ("topic-" + t.Id, Cards.Topic(t))))
            .Append(("guidance-ask-product", Cards.AskProduct(atStart)))
            .Append(("guidance-ask-program", Cards.AskProgram(azure, "That button is from an earlier step, so I didn't act on it. Here is where your guide is now:")))
            .Append(("guidance-no-scenario", Cards.NoScenario(azure, "open")))
            .Append(("guidance-clarify", Cards.Clarify(Knowledge.Get("another-partner-listed"), Knowledge.Get("azure-one-por-per-subscription"))))
            .Append(("guidance-ended", Cards.GuideEnded()))
            .Append(("guidance-none-running", Cards.NoGuideRunning()));
    }

    [Fact]
    public async Task EveryGuidanceCard_PassesTheOfficialValidator()
    {
        await CardValidator.AssertValidAsync(AllCards().ToList());
    }

    [Fact]
    public void EveryGuidanceCard_IsWellUnderTheTeamsSizeLimit()
    {
        foreach (var (name, card) in AllCards())
        {
            var bytes = Encoding.UTF8.GetByteCount(card.ToJson());
            Assert.True(bytes < MaxCardBytes, $"{name} is {bytes} bytes");
        }
    }

    [Fact]
    public void ScenarioCards_MatchTheirSnapshots()
    {
        foreach (var (name, card) in ScenarioCards()) Snapshot.Match(name, card.ToJson());
        Snapshot.Match("guidance-ask-product", Cards.AskProduct(GuideState.Start() with { DialogId = "snapshot0001" }).ToJson());
    }

    [Fact]
    public void ScenarioCard_ShowsOnlyKnowledgeBaseTextForEveryPart()
    {
        foreach (var scenario in Knowledge.Scenarios)
        {
            var json = Cards.Scenario(scenario).ToJson();
            foreach (var text in scenario.Steps.Concat(scenario.Impacts).Concat(scenario.Caveats)
                         .Append(scenario.ShortAnswer).Append(scenario.SetByText).Append(scenario.Guide)
                         .Append(scenario.Where.Then).Append(scenario.Where.Today))
            {
                Assert.Contains(Json(text), json, StringComparison.Ordinal);
            }
        }
    }

    /// <summary>Writes PNGs at phone width under the test's bin folder (not committed) for people to look at.</summary>
    [Fact]
    public async Task GuidanceCards_RenderAtPhoneWidth()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "card-renders");
        var cards = AllCards().Where(c => !c.Name.StartsWith("topic-", StringComparison.Ordinal) &&
                                          !c.Name.StartsWith("free-text-", StringComparison.Ordinal) &&
                                          c.Name is not ("guidance-ended" or "guidance-none-running"))
            .Append(("topic-azure-one-por-per-subscription", Cards.Topic(Knowledge.Get("azure-one-por-per-subscription"))))
            .ToList();
        foreach (var (name, card) in cards)
        {
            var png = await CardRenderer.RenderPngAsync(card, Path.Combine(dir, name + ".png"), PhoneWidth);
            output.WriteLine($"{png.Path} ({png.Width}×{png.Height})");
            Assert.Equal(PhoneWidth, png.Width);
            Assert.True(png.Height > 100, $"{name} rendered only {png.Height}px high");
        }
    }

    private static string Json(string text) => System.Text.Json.JsonSerializer.Serialize(text, PorBot.Protocol.Activities.ProtocolJson.Options)[1..^1];
}
