using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

/// <summary>The real embedded knowledge base and one matcher over it, built once for all tests.</summary>
internal static class GuidanceFixture
{
    private static readonly Lazy<KnowledgeBase> LazyKnowledge = new(KnowledgeBase.LoadEmbedded);
    private static readonly Lazy<QuestionMatcher> LazyMatcher = new(() => new QuestionMatcher(Knowledge));

    public static KnowledgeBase Knowledge => LazyKnowledge.Value;
    public static QuestionMatcher Matcher => LazyMatcher.Value;
}
