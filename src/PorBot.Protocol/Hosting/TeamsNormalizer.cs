using System.Text.RegularExpressions;
using PorBot.Protocol.Activities;

namespace PorBot.Protocol.Hosting;

/// <summary>
/// What the Bot Framework SDK's Teams middleware does before any handler runs: tenant id copied into
/// conversation.tenantId, and the bot's own @mention removed from the text.
/// </summary>
internal static class TeamsNormalizer
{
    public static void Normalize(TurnContext turn)
    {
        var activity = turn.Activity;
        if (activity.Conversation is { TenantId: null or "" } conversation &&
            activity.GetTeamsChannelData()?.Tenant?.Id is { Length: > 0 } tenantId)
        {
            conversation.TenantId = tenantId;
        }

        var text = RemoveRecipientMention(activity);
        turn.Text = text.Length > 0 ? text : TurnContext.ExtractPostBackText(activity).Trim();
    }

    /// <summary>
    /// Removes mentions of the bot (entity.mentioned.id == recipient.id) from the text, by the entity's
    /// own text; users are never identified by parsing the text.
    /// </summary>
    public static string RemoveRecipientMention(Activity activity)
    {
        var text = activity.Text ?? string.Empty;
        var botId = activity.Recipient?.Id;
        if (activity.Entities is null || string.IsNullOrEmpty(botId)) return text.Trim();

        foreach (var entity in activity.Entities)
        {
            if (!string.Equals(entity.Type, "mention", StringComparison.OrdinalIgnoreCase) ||
                !string.Equals(entity.Mentioned?.Id, botId, StringComparison.Ordinal))
            {
                continue;
            }

            var mentionText = entity.Text ?? (entity.Mentioned?.Name is { } name ? $"<at>{name}</at>" : null);
            if (string.IsNullOrEmpty(mentionText)) continue;
            text = Regex.Replace(text, Regex.Escape(mentionText), string.Empty, RegexOptions.IgnoreCase, TimeSpan.FromSeconds(1));
        }

        return text.Trim();
    }
}
