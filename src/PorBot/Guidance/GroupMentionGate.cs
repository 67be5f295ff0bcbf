using System.Text.Json;
using PorBot.Protocol.Activities;
using PorBot.Protocol.Hosting;

namespace PorBot.Guidance;

/// <summary>
/// In group chats and channels PorBot speaks only when @mentioned, so it never answers people talking to
/// each other. Teams delivers only mentioned messages there anyway (without the RSC "all messages"
/// permission); this makes it hold if that permission is ever granted. Card button clicks carry no
/// mention and are let through: they answer a card PorBot sent.
/// </summary>
public sealed class GroupMentionGate(ILogger<GroupMentionGate> logger) : ITurnMiddleware
{
    public Task InvokeAsync(TurnContext turn, Func<Task> next, CancellationToken cancellationToken)
    {
        var activity = turn.Activity;
        if (!string.Equals(activity.Type, ActivityTypes.Message, StringComparison.OrdinalIgnoreCase) ||
            !IsGroupConversation(activity) || IsCardSubmit(activity) || MentionsBot(activity))
        {
            return next();
        }

        logger.LogDebug("Group message without a mention of the bot in {ConversationId}; not answered", activity.Conversation?.Id);
        return Task.CompletedTask;
    }

    public static bool IsGroupConversation(Activity activity) =>
        activity.Conversation is { } c &&
        (c.IsGroup == true ||
         string.Equals(c.ConversationType, ConversationTypes.GroupChat, StringComparison.OrdinalIgnoreCase) ||
         string.Equals(c.ConversationType, ConversationTypes.Channel, StringComparison.OrdinalIgnoreCase));

    // Users are identified by the mention entity's id, never by the text (bot-protocol.md §5.7).
    private static bool MentionsBot(Activity activity) =>
        activity.Recipient?.Id is { Length: > 0 } botId &&
        activity.Entities?.Any(e => string.Equals(e.Type, "mention", StringComparison.OrdinalIgnoreCase) &&
                                    string.Equals(e.Mentioned?.Id, botId, StringComparison.Ordinal)) == true;

    private static bool IsCardSubmit(Activity activity) => activity.Value is { ValueKind: JsonValueKind.Object };
}
