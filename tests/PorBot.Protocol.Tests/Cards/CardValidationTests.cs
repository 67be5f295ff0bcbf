using System.Text.Json.Nodes;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Cards;

/// <summary>Validates every card of this class in one node call (each call costs a node start-up).</summary>
public sealed class CardValidationFixture : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string> ValidCards = new Dictionary<string, string>
    {
        ["kitchen-sink"] = KitchenSinkCard.Build().ToJson(),
        ["kitchen-sink-attachment"] = ProtocolJson.Serialize(KitchenSinkCard.Build().ToAttachment()),
        ["builder-example"] = new AdaptiveCard()
            .AddText("Hi", TextSize.Large, weight: TextWeight.Bolder)
            .AddFacts(("POR", "Contoso"))
            .AddAction(new SubmitAction("Help", new { command = "help" }))
            .ToJson(),
        ["refresh-60-users"] = new AdaptiveCard()
            .WithRefresh("refreshView", userIds: Enumerable.Range(1, 60).Select(i => $"29:u{i}"))
            .AddText("x")
            .ToJson(),
        ["empty-body"] = new AdaptiveCard().ToJson(),
    };

    // Each one breaks exactly one rule, and names the finding code it must produce.
    public static readonly IReadOnlyDictionary<string, (string Json, string ExpectedCode)> InvalidCards =
        new Dictionary<string, (string, string)>
        {
            ["carousel-is-1.6-only"] = (
                """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"Carousel","pages":[]}]}""", "UnknownElementType"),
            ["version-above-teams-max"] = (
                """{"type":"AdaptiveCard","version":"1.6","body":[{"type":"TextBlock","text":"x"}]}""", "UnsupportedCardVersion"),
            ["execute-in-1.3-card"] = (
                """{"type":"AdaptiveCard","version":"1.3","actions":[{"type":"Action.Execute","verb":"x","title":"x"}]}""", "UnknownActionType"),
            ["textblock-without-text"] = (
                """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","wrap":true}]}""", "MissingRequiredProperty"),
            ["fact-without-value"] = (
                """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"FactSet","facts":[{"title":"a"}]}]}""", "MissingRequiredProperty"),
            ["misspelt-property"] = (
                """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","wieght":"bolder"}]}""", "SchemaViolation"),
            ["enum-wrong-value"] = (
                """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock","text":"x","size":"huge"}]}""", "InvalidPropertyValue"),
            ["missing-version"] = (
                """{"type":"AdaptiveCard","body":[{"type":"TextBlock","text":"x"}]}""", "MissingRequiredProperty"),
            ["refresh-61-users"] = (RefreshWithUsers(61), "TooManyRefreshUserIds"),
        };

    public IReadOnlyDictionary<string, CardValidationResult> Results { get; private set; } = new Dictionary<string, CardValidationResult>();

    public async Task InitializeAsync()
    {
        var cards = ValidCards.Select(c => (c.Key, c.Value))
            .Concat(InvalidCards.Select(c => (c.Key, c.Value.Json)))
            .ToList();
        var results = await CardValidator.ValidateAsync(cards);
        Results = results.ToDictionary(r => r.Name);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    // Built as raw JSON: the model refuses to create it.
    private static string RefreshWithUsers(int count) => new JsonObject
    {
        ["type"] = "AdaptiveCard",
        ["version"] = "1.5",
        ["refresh"] = new JsonObject
        {
            ["action"] = new JsonObject { ["type"] = "Action.Execute", ["verb"] = "refreshView" },
            ["userIds"] = new JsonArray([.. Enumerable.Range(1, count).Select(i => (JsonNode)$"29:u{i}")]),
        },
    }.ToJsonString();
}

public class CardValidationTests(CardValidationFixture fixture) : IClassFixture<CardValidationFixture>
{
    public static TheoryData<string> ValidCardNames => [.. CardValidationFixture.ValidCards.Keys];

    public static TheoryData<string> InvalidCardNames => [.. CardValidationFixture.InvalidCards.Keys];

    [Theory]
    [MemberData(nameof(ValidCardNames))]
    public void ModelBuiltCard_PassesOfficialValidatorAndSchema(string name)
    {
        var result = fixture.Results[name];

        Assert.True(result.IsValid, result.ToString());
        Assert.Empty(result.Warnings);
    }

    [Theory]
    [MemberData(nameof(InvalidCardNames))]
    public void BrokenCard_IsReportedInvalidWithTheExpectedFinding(string name)
    {
        var result = fixture.Results[name];
        var expectedCode = CardValidationFixture.InvalidCards[name].ExpectedCode;

        Assert.False(result.IsValid, $"{name} should be invalid");
        Assert.Contains(result.Errors, e => e.Code == expectedCode);
    }

    [Fact]
    public async Task AssertValid_InvalidCard_FailsWithTheValidatorMessage()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => CardValidator.AssertValidAsync(
            """{"type":"AdaptiveCard","version":"1.5","body":[{"type":"TextBlock"}]}""", "no-text"));

        Assert.Contains("no-text", ex.Message, StringComparison.Ordinal);
        Assert.Contains("TextBlock is missing required property \"text\"", ex.Message, StringComparison.Ordinal);
    }
}
