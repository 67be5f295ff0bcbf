using Microsoft.Extensions.DependencyInjection.Extensions;
using PorBot.Protocol.Hosting;

namespace PorBot.Conversations;

public static class ConversationsExtensions
{
    /// <summary>Remembers where every user and conversation can be reached, and sends there proactively.</summary>
    public static BotBuilder AddConversations(this BotBuilder bot)
    {
        bot.Services.AddTransient<ProactiveMessenger>();
        bot.Services.TryAddSingleton(TimeProvider.System);
        bot.Services.AddSingleton<IConversationReferenceStore, SqliteConversationReferenceStore>();
        bot.Services.AddSingleton<IDialogStateStore, SqliteDialogStateStore>();
        bot.Services.AddSingleton<IAlertChannelStore, SqliteAlertChannelStore>();
        return bot.Use<ConversationReferenceMiddleware>();
    }
}
