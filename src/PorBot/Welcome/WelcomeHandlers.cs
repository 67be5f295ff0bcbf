using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;

namespace PorBot.Welcome;

/// <summary>The bot was added to a chat or team: introduce PorBot once, with the welcome card.</summary>
public sealed class WelcomeOnInstallHandler(WelcomeCards cards) : ITurnHandler
{
    public async Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var botId = turn.Activity.Recipient?.Id;
        if (turn.Activity.MembersAdded?.Any(m => m.Id == botId) != true) return;
        await turn.SendAttachmentAsync(cards.WelcomeAttachment(), cancellationToken);
    }
}

/// <summary><c>help</c> (and greetings): the same card as the welcome.</summary>
public sealed class HelpHandler(WelcomeCards cards) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken) =>
        turn.SendAttachmentAsync(cards.WelcomeAttachment(), cancellationToken);
}

/// <summary>installationUpdate: nothing to say (the welcome comes with conversationUpdate); references are captured by middleware.</summary>
public sealed class InstallationUpdateHandler(ILogger<InstallationUpdateHandler> logger) : ITurnHandler
{
    public Task HandleAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        logger.LogInformation("App {Action} in conversation {ConversationId} (tenant {TenantId})",
            turn.Activity.Action, turn.Activity.Conversation?.Id, turn.TenantId);
        return Task.CompletedTask;
    }
}

public static class WelcomeExtensions
{
    public static BotBuilder AddWelcome(this BotBuilder bot)
    {
        bot.Services.AddSingleton<WelcomeCards>();
        bot.Services.AddSingleton(new HelpEntry("Help", "Shows this card again.", ["help"], Order: 1000));
        return bot
            .OnActivity<WelcomeOnInstallHandler>(ActivityTypes.ConversationUpdate)
            .OnActivity<InstallationUpdateHandler>(ActivityTypes.InstallationUpdate)
            .OnCommand<HelpHandler>("help")
            .OnCommand<HelpHandler>("hi")
            .OnCommand<HelpHandler>("hello")
            .OnCommand<HelpHandler>("start")
            .OnCommand<HelpHandler>("?");
    }
}
