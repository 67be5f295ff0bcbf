namespace PorBot.Guidance;

public static class GuidanceServiceCollectionExtensions
{
    /// <summary>
    /// Registers the embedded <see cref="KnowledgeBase"/> and a shared <see cref="QuestionMatcher"/>
    /// as singletons. Both are built on first resolve; a bad knowledge.json throws
    /// <see cref="KnowledgeBaseException"/> there.
    /// </summary>
    public static IServiceCollection AddPorGuidance(this IServiceCollection services)
    {
        services.AddSingleton(_ => KnowledgeBase.LoadEmbedded());
        services.AddSingleton(sp => new QuestionMatcher(sp.GetRequiredService<KnowledgeBase>()));
        return services;
    }
}
