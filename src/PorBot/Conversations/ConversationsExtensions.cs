using Microsoft.Extensions.DependencyInjection.Extensions;
using PorBot.Protocol.Hosting;

namespace PorBot.Conversations;

public static class ConversationsExtensions
{
    /// <summary>
    /// Remembers where every user and conversation can be reached, and sends there proactively. The
    /// stores (<see cref="IConversationReferenceStore"/>, <see cref="IDialogStateStore"/>) come from the
    /// storage provider (<c>AddPorBotStorage</c>).
    /// </summary>
    public static BotBuilder AddConversations(this BotBuilder bot)
    {
        bot.Services.AddTransient<ProactiveMessenger>();
        bot.Services.TryAddSingleton(TimeProvider.System);
        return bot.Use<ConversationReferenceMiddleware>();
    }
}
