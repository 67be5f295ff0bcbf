using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

public sealed partial class KnowledgeBaseTests
{
    private static KnowledgeBase Knowledge => GuidanceFixture.Knowledge;

    [Fact]
    public void LoadEmbedded_HasTheFourScenariosForTheirProductsAndPrograms()
    {
        Assert.Equal(4, Knowledge.Scenarios.Count);
        Assert.Equal("scenario-ea-online-services", Knowledge.FindScenario("o365", "ea")!.Id);
        Assert.Equal("scenario-ea-online-services", Knowledge.FindScenario("aadp", "casa")!.Id);
        Assert.Equal("scenario-online-portal", Knowledge.FindScenario("crm", "mosp")!.Id);
        Assert.Equal("scenario-open", Knowledge.FindScenario("intune", "open")!.Id);
        Assert.Equal("scenario-azure-consumption", Knowledge.FindScenario("azure", "mosa")!.Id);
        Assert.Null(Knowledge.FindScenario("azure", "open"));
        Assert.Null(Knowledge.FindScenario("crm", "ea"));
    }

    [Fact]
    public void LoadEmbedded_ScenariosCarryTheSeedCaveats()
    {
        var azure = (Scenario)Knowledge.Get("scenario-azure-consumption");
        Assert.Contains(azure.Caveats, c => c.Contains("Only one Partner of Record", StringComparison.Ordinal));
        Assert.Contains(azure.Caveats, c => c.Contains("both partners are alerted", StringComparison.Ordinal));
        Assert.Equal(PorSetter.Customer, azure.PorSetBy);

        var ea = (Scenario)Knowledge.Get("scenario-ea-online-services");
        Assert.Contains(ea.Caveats, c => c.Contains("Online Services Advisor Deploy", StringComparison.Ordinal));
        Assert.Contains(ea.Caveats, c => c.Contains("both partners are alerted", StringComparison.Ordinal));

        var open = (Scenario)Knowledge.Get("scenario-open");
        Assert.Contains(open.Caveats, c => c.Contains("retroactively", StringComparison.Ordinal));
        Assert.Equal(PorSetter.CustomerOrPartner, open.PorSetBy);
    }

    [Fact]
    public void EveryEntry_CitesOnlyAllowedSources()
    {
        var all = Knowledge.Entries.Append(Knowledge.OutOfScope).ToList();
        Assert.All(all, e =>
        {
            Assert.NotEmpty(e.Sources);
            Assert.All(e.Sources, s => Assert.Contains(s, KnowledgeSources.Allowed));
        });
    }

    [Fact]
    public void EveryTodayMapping_TellsThePartnerToConfirmOnPartnerCenter()
    {
        // por-domain marks the legacy→current portal mappings [inference]; the bot must not present them as fact.
        Assert.All(Knowledge.Scenarios, s => Assert.Contains("confirm on Partner Center", s.Where.Today, StringComparison.Ordinal));
        Assert.Contains("confirm on Partner Center", Knowledge.Get("legacy-names").ShortAnswer, StringComparison.Ordinal);
        Assert.Contains("confirm on Partner Center", Knowledge.Get("azure-account-centre-today").ShortAnswer, StringComparison.Ordinal);
        Assert.Contains("confirm on Partner Center", Knowledge.Get("dashboard-to-insights").ShortAnswer, StringComparison.Ordinal);
        var actionPack = Knowledge.Get("action-pack").ShortAnswer;
        Assert.Contains("unverified", actionPack, StringComparison.Ordinal);
        Assert.Contains("confirm on Partner Center", actionPack, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryShortAnswer_IsChatLength()
    {
        Assert.All(Knowledge.Entries.Append(Knowledge.OutOfScope), e =>
        {
            var sentences = SentenceEnd().Count(e.ShortAnswer);
            Assert.InRange(sentences, 1, 4);
            Assert.True(e.ShortAnswer.Length <= 600, $"{e.Id}: {e.ShortAnswer.Length} characters");
        });
    }

    [Fact]
    public void Parse_DuplicateId_FailsNamingTheId()
    {
        var ex = ParseMutated(doc => doc["topics"]![1]!["id"] = doc["topics"]![0]!["id"]!.GetValue<string>());
        Assert.Contains("Duplicate id 'why-por-matters'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NextReferencesUnknownTopic_FailsNamingBoth()
    {
        var ex = ParseMutated(doc => doc["scenarios"]![0]!["next"]!.AsArray().Add("no-such-topic"));
        Assert.Contains("'scenario-ea-online-services'.next references unknown topic 'no-such-topic'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EmptySources_FailsNamingTheEntry()
    {
        var ex = ParseMutated(doc => doc["topics"]![0]!["sources"] = new JsonArray());
        Assert.Contains("topic 'why-por-matters'.sources: every entry must cite at least one source", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SourceNotInAllowedList_Fails()
    {
        var ex = ParseMutated(doc => doc["topics"]![0]!["sources"]!.AsArray().Add("a blog I read"));
        Assert.Contains("'a blog I read' is not an allowed source id", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ScenarioWithUnknownProduct_Fails()
    {
        var ex = ParseMutated(doc => doc["scenarios"]![3]!["products"]!.AsArray().Add("windows-server"));
        Assert.Contains("scenario 'scenario-azure-consumption'.products: unknown id 'windows-server'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MissingRequiredFieldsAndSeveralProblems_ListsThemAll()
    {
        var ex = ParseMutated(doc =>
        {
            doc["scenarios"]![0]!.AsObject().Remove("steps");
            doc["topics"]![2]!["shortAnswer"] = " ";
        });
        Assert.Contains("scenario 'scenario-ea-online-services'.steps: required", ex.Message, StringComparison.Ordinal);
        Assert.Contains("topic 'another-partner-listed'.shortAnswer: required", ex.Message, StringComparison.Ordinal);
        Assert.Equal(2, ex.Problems.Count);
    }

    [Fact]
    public void Parse_SameAliasInTwoConcepts_Fails()
    {
        var ex = ParseMutated(doc => doc["programs"]![0]!["aliases"]!.AsArray().Add("Office 365"));
        Assert.Contains("Alias 'Office 365' belongs to both product o365 and program ea", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownPorSetter_FailsWithJsonPath()
    {
        var ex = ParseMutated(doc => doc["scenarios"]![0]!["porSetBy"] = "Microsoft");
        Assert.Contains("not valid JSON for the knowledge schema", ex.Message, StringComparison.Ordinal);
        Assert.Contains("porSetBy", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MisspelledField_FailsInsteadOfBeingIgnored()
    {
        var ex = ParseMutated(doc => doc["topics"]![0]!["shortAnwser"] = "typo");
        Assert.Contains("shortAnwser", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotJson_FailsClearly()
    {
        var ex = Assert.Throws<KnowledgeBaseException>(() => KnowledgeBase.Parse("{ \"scenarios\": [ "));
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    private static KnowledgeBaseException ParseMutated(Action<JsonNode> mutate)
    {
        using var stream = typeof(KnowledgeBase).Assembly.GetManifestResourceStream(KnowledgeBase.ResourceName)!;
        var doc = JsonNode.Parse(stream)!;
        mutate(doc);
        return Assert.Throws<KnowledgeBaseException>(() => KnowledgeBase.Parse(doc.ToJsonString()));
    }

    [GeneratedRegex(@"[.!?](\s|$)")]
    private static partial Regex SentenceEnd();
}
