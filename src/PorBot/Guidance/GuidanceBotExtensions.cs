using PorBot.Protocol.Hosting;
using PorBot.Welcome;

namespace PorBot.Guidance;

public static class GuidanceBotExtensions
{
    /// <summary>The commands that start the guided dialog (each may be followed by a product and a program).</summary>
    public static IReadOnlyList<string> GuideCommands { get; } = ["por guide", "guide me"];

    /// <summary>
    /// POR guidance in chat: the guided dialog (<c>por guide</c>), free-text POR questions as the message
    /// fallback (its "not understood" reply is <see cref="WelcomeCards.NotUnderstood"/>), and the group
    /// chat rule that PorBot answers only when @mentioned. Needs <c>AddConversations()</c> (dialog state)
    /// and <c>AddWelcome()</c> (the cards listing what PorBot can do).
    /// </summary>
    public static BotBuilder AddGuidance(this BotBuilder bot)
    {
        bot.Services.AddPorGuidance();
        bot.Services.AddSingleton<GuidanceCards>();
        bot.Services.AddSingleton<GuidedDialog>();
        bot.Services.AddScoped<GuidanceConversation>();
        foreach (var entry in HelpEntries) bot.Services.AddSingleton(entry);

        foreach (var command in GuideCommands) bot.OnCommand<GuideCommandHandler>(command, takesArgument: true);
        return bot
            .Use<GroupMentionGate>()
            .OnMessage<GuidanceMessageHandler>();
    }

    /// <summary>Example questions on the welcome card: short enough for a button, and each answered by the matcher.</summary>
    public static IReadOnlyList<string> QuestionExamples { get; } =
    [
        "POR for Azure on an EA?",
        "Two partners on one Azure sub?",
        "Open: can POR be added later?",
    ];

    /// <summary>What the welcome and help cards list for guidance.</summary>
    public static IReadOnlyList<HelpEntry> HelpEntries { get; } =
    [
        new("POR guide",
            "Answer two questions (what the customer bought, and how) and get the steps to become Partner of Record.",
            ["por guide"],
            Order: 10),
        new("Ask a POR question",
            "Ask in your own words; I answer from the Partner of Record guidance. For example:",
            QuestionExamples,
            Order: 20),
    ];
}
