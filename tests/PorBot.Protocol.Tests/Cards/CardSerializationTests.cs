using System.Text.Json;
using System.Text.Json.Nodes;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Cards;
using PorBot.Testing;

namespace PorBot.Protocol.Tests.Cards;

public class CardSerializationTests
{
    [Fact]
    public void KitchenSink_Serialized_MatchesSnapshot() =>
        Snapshot.Match("kitchen-sink-card", KitchenSinkCard.Build().ToJson());

    [Fact]
    public void Serialize_Root_WritesTypeSchemaVersionAndMsteamsAsTeamsExpects()
    {
        var json = JsonNode.Parse(new AdaptiveCard().AddText("Hi").WithFullWidth().ToJson())!.AsObject();

        Assert.Equal(["type", "$schema", "version", "body", "msteams"], json.Select(p => p.Key));
        Assert.Equal("AdaptiveCard", (string?)json["type"]);
        Assert.Equal("http://adaptivecards.io/schemas/adaptive-card.json", (string?)json["$schema"]);
        Assert.Equal("1.5", (string?)json["version"]);
        Assert.Equal("Full", (string?)json["msteams"]!["width"]);
    }

    [Fact]
    public void Serialize_ElementsAndActions_WriteTypeDiscriminatorFirst()
    {
        var json = JsonNode.Parse(KitchenSinkCard.Build().ToJson())!;

        var typedObjects = Descendants(json).Where(o => o.ContainsKey("type")).ToList();
        Assert.True(typedObjects.Count > 20);
        Assert.All(typedObjects, o => Assert.Equal("type", o.First().Key));
        var types = typedObjects.Select(o => (string)o["type"]!).ToHashSet();
        Assert.Superset(
            new HashSet<string> { "AdaptiveCard", "TextBlock", "RichTextBlock", "TextRun", "FactSet", "ColumnSet", "Column",
                "Container", "Image", "ActionSet", "Input.Text", "Input.ChoiceSet",
                "Action.Execute", "Action.Submit", "Action.OpenUrl", "Action.ShowCard" },
            types);
    }

    [Fact]
    public void Serialize_Enums_UseTheSchemaSpelling()
    {
        var card = new AdaptiveCard()
            .AddText("x", TextSize.ExtraLarge, TextWeight.Bolder, TextColor.Attention, spacing: Spacing.ExtraLarge)
            .AddAction(new SubmitAction("Go") { AssociatedInputs = AssociatedInputs.None, Mode = ActionMode.Secondary });

        var json = card.ToJson();

        Assert.Contains("\"size\":\"extraLarge\"", json, StringComparison.Ordinal);
        Assert.Contains("\"weight\":\"bolder\"", json, StringComparison.Ordinal);
        Assert.Contains("\"color\":\"attention\"", json, StringComparison.Ordinal);
        Assert.Contains("\"spacing\":\"extraLarge\"", json, StringComparison.Ordinal);
        Assert.Contains("\"associatedInputs\":\"None\"", json, StringComparison.Ordinal);
        Assert.Contains("\"mode\":\"secondary\"", json, StringComparison.Ordinal);
    }

    [Fact]
    public void Serialize_ColumnWidths_WriteKeywordsPixelsAsStringsAndWeightsAsNumbers()
    {
        var set = new ColumnSet(
            new Column(ColumnWidth.Auto), new Column(ColumnWidth.Stretch), new Column(ColumnWidth.Pixels(50)), new Column(ColumnWidth.Weight(2)));

        var widths = JsonNode.Parse(new AdaptiveCard().Add(set).ToJson())!["body"]![0]!["columns"]!.AsArray()
            .Select(c => c!["width"]!.ToJsonString());

        Assert.Equal(["\"auto\"", "\"stretch\"", "\"50px\"", "2"], widths);
    }

    [Fact]
    public void Serialize_NullProperties_AreOmitted()
    {
        var json = new AdaptiveCard().Add(new TextBlock("plain")).ToJson();

        Assert.Equal(
            """{"type":"AdaptiveCard","$schema":"http://adaptivecards.io/schemas/adaptive-card.json","version":"1.5","body":[{"type":"TextBlock","text":"plain"}]}""",
            json);
    }

    [Fact]
    public void ExecuteAction_WithSubmitFallback_SerializesFallbackAsTypedAction()
    {
        var card = new AdaptiveCard().AddActionSet(
            new ExecuteAction("Approve", "approve", new { id = 7 }).WithFallback(new SubmitAction("Approve", new { verb = "approve", id = 7 })));

        var action = JsonNode.Parse(card.ToJson())!["body"]![0]!["actions"]![0]!;

        Assert.Equal("Action.Execute", (string?)action["type"]);
        Assert.Equal("approve", (string?)action["verb"]);
        Assert.Equal(7, (int)action["data"]!["id"]!);
        Assert.Equal("Action.Submit", (string?)action["fallback"]!["type"]);
        Assert.Equal("approve", (string?)action["fallback"]!["data"]!["verb"]);
    }

    [Fact]
    public void WithRefresh_WritesExecuteActionAndUserIds()
    {
        var card = new AdaptiveCard().WithRefresh("refreshView", new { id = 1 }, ["29:a", "29:b"]);

        var refresh = JsonNode.Parse(card.ToJson())!["refresh"]!;

        Assert.Equal("Action.Execute", (string?)refresh["action"]!["type"]);
        Assert.Equal("refreshView", (string?)refresh["action"]!["verb"]);
        Assert.Equal(["29:a", "29:b"], refresh["userIds"]!.AsArray().Select(n => (string)n!));
    }

    [Fact]
    public void WithMention_AddsMentionEntityMatchingTheTextTag()
    {
        var card = new AdaptiveCard().WithMention("29:1-alice", "Alice", out var mention).AddText($"Hi {mention}");

        var json = JsonNode.Parse(card.ToJson())!;
        var entity = json["msteams"]!["entities"]![0]!;

        Assert.Equal("<at>Alice</at>", mention);
        Assert.Equal("mention", (string?)entity["type"]);
        Assert.Equal(mention, (string?)entity["text"]);
        Assert.Equal("29:1-alice", (string?)entity["mentioned"]!["id"]);
        Assert.Contains(mention, (string)json["body"]![0]!["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public void ToAttachment_WrapsCardWithAdaptiveCardContentType()
    {
        var card = new AdaptiveCard().AddText("Hi");

        var attachment = JsonNode.Parse(ProtocolJson.Serialize(card.ToAttachment()))!;

        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)attachment["contentType"]);
        Assert.Equal("AdaptiveCard", (string?)attachment["content"]!["type"]);
        Assert.Equal("Hi", (string?)attachment["content"]!["body"]![0]!["text"]);
    }

    [Fact]
    public void Deserialize_KitchenSinkJson_RoundTripsToTheSameJson()
    {
        var json = KitchenSinkCard.Build().ToJson();

        var card = ProtocolJson.Deserialize<AdaptiveCard>(json);

        Assert.NotNull(card);
        Assert.IsType<ExecuteAction>(Assert.IsType<ActionSet>(card.Body.Single(e => e is ActionSet)).Actions[0]);
        Assert.Equal(Normalize(json), Normalize(card.ToJson()));
    }

    private static string Normalize(string json) => JsonNode.Parse(json)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    private static IEnumerable<JsonObject> Descendants(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                yield return obj;
                foreach (var child in obj.SelectMany(p => Descendants(p.Value))) yield return child;
                break;
            case JsonArray array:
                foreach (var child in array.SelectMany(Descendants)) yield return child;
                break;
        }
    }
}
