using Microsoft.Extensions.DependencyInjection;
using PorBot.Guidance;

namespace PorBot.Tests.Guidance;

public sealed class GuidanceRegistrationTests
{
    [Fact]
    public void AddPorGuidance_ResolvesOneSharedMatcherOverTheEmbeddedKnowledge()
    {
        using var provider = new ServiceCollection().AddPorGuidance().BuildServiceProvider();

        var matcher = provider.GetRequiredService<QuestionMatcher>();

        Assert.Same(matcher, provider.GetRequiredService<QuestionMatcher>());
        Assert.Same(provider.GetRequiredService<KnowledgeBase>(), matcher.Knowledge);
        Assert.Equal("scenario-azure-consumption", matcher.Match("EA azure").Best!.Entry.Id);
    }
}
